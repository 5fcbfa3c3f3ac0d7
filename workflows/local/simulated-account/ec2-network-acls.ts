import type {
  CreateNetworkAclEntryCommandInput,
  CreateNetworkAclEntryCommandOutput,
  DeleteNetworkAclEntryCommandInput,
  DeleteNetworkAclEntryCommandOutput,
  DescribeNetworkAclsCommandInput,
  DescribeNetworkAclsCommandOutput,
  NetworkAcl,
  NetworkAclEntry,
} from "@aws-sdk/client-ec2";
import { aclProtocol, type AclEntryState, type AclState, dryRunOperation, ec2Error, type Ec2State, filterBy, invalidParameter, paginate, tagsMatchingFilter } from "./ec2-state.js";
import { read, write, type HandlerTable, type Output } from "./handlers.js";
import { canonicalCidr, isIpv6, isValidCidr } from "./net.js";
import { tagList } from "./plain.js";

/** Network ACLs: numbered entries, the fixed `*` denies, subnet associations, the entry quota. */

const DEFAULT_V4 = 32767;
const DEFAULT_V6 = 32768;

function sdkEntry(entry: AclEntryState): NetworkAclEntry {
  return {
    RuleNumber: entry.ruleNumber,
    Protocol: entry.protocol,
    RuleAction: entry.ruleAction,
    Egress: entry.egress,
    ...(entry.cidrBlock !== undefined ? { CidrBlock: entry.cidrBlock } : {}),
    ...(entry.ipv6CidrBlock !== undefined ? { Ipv6CidrBlock: entry.ipv6CidrBlock } : {}),
    ...(entry.portRange ? { PortRange: { From: entry.portRange.from, To: entry.portRange.to } } : {}),
    ...(entry.icmp ? { IcmpTypeCode: { Type: entry.icmp.type, Code: entry.icmp.code } } : {}),
  };
}

/** The `*` rules every ACL ends with: they cannot be changed or removed. */
function fixedEntries(ec2: Ec2State, acl: AclState): AclEntryState[] {
  const v6 = ec2.vpcs.get(acl.vpcId)?.ipv6Cidr !== undefined;
  return [false, true].flatMap((egress) => [
    { ruleNumber: DEFAULT_V4, egress, ruleAction: "deny" as const, protocol: "-1", cidrBlock: "0.0.0.0/0" },
    ...(v6 ? [{ ruleNumber: DEFAULT_V6, egress, ruleAction: "deny" as const, protocol: "-1", ipv6CidrBlock: "::/0" }] : []),
  ]);
}

export function sdkAcl(ec2: Ec2State, acl: AclState): NetworkAcl {
  const entries = [...acl.entries, ...fixedEntries(ec2, acl)].sort((a, b) => Number(a.egress) - Number(b.egress) || a.ruleNumber - b.ruleNumber);
  return {
    NetworkAclId: acl.networkAclId,
    VpcId: acl.vpcId,
    IsDefault: acl.isDefault,
    OwnerId: ec2.ctx.accountId,
    Entries: entries.map(sdkEntry),
    Associations: acl.associations.map((a) => ({ NetworkAclAssociationId: a.associationId, NetworkAclId: acl.networkAclId, SubnetId: a.subnetId })),
    Tags: tagList(acl.tags),
  };
}

const ACL_FILTERS = ["network-acl-id", "vpc-id", "default", "owner-id", "association.subnet-id", "association.association-id", "association.network-acl-id", "entry.rule-number", "entry.cidr", "entry.rule-action", "entry.egress"];

/** Only the asked filter's values: DescribeNetworkAcls scans every ACL, so building all of them per ACL would dominate. */
function aclValues(ec2: Ec2State, acl: AclState, name: string): readonly string[] | undefined {
  switch (name) {
    case "network-acl-id":
      return [acl.networkAclId];
    case "vpc-id":
      return [acl.vpcId];
    case "default":
      return [String(acl.isDefault)];
    case "owner-id":
      return [ec2.ctx.accountId];
    case "association.subnet-id":
      return acl.associations.map((a) => a.subnetId);
    case "association.association-id":
      return acl.associations.map((a) => a.associationId);
    case "association.network-acl-id":
      return acl.associations.length > 0 ? [acl.networkAclId] : [];
    case "entry.rule-number":
      return acl.entries.map((e) => String(e.ruleNumber));
    case "entry.cidr":
      return acl.entries.map((e) => e.cidrBlock ?? e.ipv6CidrBlock ?? "");
    case "entry.rule-action":
      return acl.entries.map((e) => e.ruleAction);
    case "entry.egress":
      return acl.entries.map((e) => String(e.egress));
    default:
      return tagsMatchingFilter(acl.tags, name);
  }
}

/**
 * The ACLs an `association.subnet-id` filter of exact ids can match, in the account's order, found
 * through each subnet's association instead of a scan of every ACL; undefined when there is no
 * such filter (or it has a wildcard). The filters are still applied to these as to any candidate.
 */
function aclsOfSubnets(ec2: Ec2State, filters: DescribeNetworkAclsCommandInput["Filters"]): AclState[] | undefined {
  const bySubnet = filters?.find((f) => f.Name === "association.subnet-id" && f.Values !== undefined && f.Values.length > 0 && f.Values.every((v) => !/[*?\\]/.test(v)));
  if (!bySubnet) return undefined;
  const found = new Set<AclState>();
  for (const subnetId of bySubnet.Values!) {
    const acl = ec2.networkAclOf(subnetId);
    if (acl) found.add(acl);
  }
  return found.size <= 1 ? [...found] : [...ec2.acls.values()].filter((acl) => found.has(acl));
}

function describeNetworkAcls(ec2: Ec2State, input: DescribeNetworkAclsCommandInput): Output<DescribeNetworkAclsCommandOutput> {
  if (input.NetworkAclIds?.length && input.MaxResults !== undefined) throw ec2Error("InvalidParameterCombination", "The parameter NetworkAclIds cannot be used with the parameter MaxResults");
  const candidates = input.NetworkAclIds?.length ? [...new Set(input.NetworkAclIds)].map((id) => ec2.acl(id)) : (aclsOfSubnets(ec2, input.Filters) ?? [...ec2.acls.values()]);
  const matched = filterBy(candidates, input.Filters, ACL_FILTERS, (acl, name) => aclValues(ec2, acl, name));
  const { page, NextToken } = paginate(matched, input, { min: 5, max: 100 }, "DescribeNetworkAcls");
  return { NetworkAcls: page.map((acl) => sdkAcl(ec2, acl)), ...(NextToken ? { NextToken } : {}) };
}

function createNetworkAclEntry(ec2: Ec2State, input: CreateNetworkAclEntryCommandInput): Output<CreateNetworkAclEntryCommandOutput> {
  const acl = ec2.acl(input.NetworkAclId ?? "");
  const ruleNumber = input.RuleNumber;
  if (ruleNumber === undefined) throw ec2Error("MissingParameter", "The request must contain the parameter ruleNumber");
  if (ruleNumber < 1 || ruleNumber > 32766) throw invalidParameter(`Value (${ruleNumber}) for parameter ruleNumber is invalid. Must be between 1 and 32766.`);
  const egress = input.Egress ?? false;
  if (input.RuleAction !== "allow" && input.RuleAction !== "deny") throw invalidParameter(`Value (${String(input.RuleAction)}) for parameter ruleAction is invalid.`);
  if (input.CidrBlock !== undefined && input.Ipv6CidrBlock !== undefined) throw ec2Error("InvalidParameterCombination", "Only one of CidrBlock and Ipv6CidrBlock may be given");
  const cidr = input.CidrBlock ?? input.Ipv6CidrBlock;
  if (cidr === undefined) throw ec2Error("MissingParameter", "Either 'cidrBlock' or 'ipv6CidrBlock' should be provided.");
  if (!isValidCidr(cidr) || isIpv6(cidr) !== (input.Ipv6CidrBlock !== undefined)) throw invalidParameter(`Value (${cidr}) for parameter cidrBlock is invalid. This is not a valid CIDR block.`);
  const protocol = aclProtocol(input.Protocol ?? "");
  if (!/^-1$|^\d{1,3}$/.test(protocol) || Number(protocol) > 255) throw invalidParameter(`Value (${input.Protocol ?? ""}) for parameter protocol is invalid.`);
  if ((protocol === "6" || protocol === "17") && (input.PortRange?.From === undefined || input.PortRange.To === undefined)) throw ec2Error("MissingParameter", "The request must contain the parameter portRange");
  if (input.DryRun) throw dryRunOperation();
  if (acl.entries.some((e) => e.egress === egress && e.ruleNumber === ruleNumber)) {
    throw ec2Error("NetworkAclEntryAlreadyExists", `The network acl entry identified by ${ruleNumber} already exists.`);
  }
  const family = acl.entries.filter((e) => e.egress === egress && (e.ipv6CidrBlock !== undefined) === isIpv6(cidr)).length;
  if (family >= acl.entryQuota) throw ec2Error("NetworkAclEntryLimitExceeded", "The maximum number of network acl entries has been reached.");
  const canonical = canonicalCidr(cidr);
  acl.entries.push({
    ruleNumber,
    egress,
    ruleAction: input.RuleAction,
    protocol,
    ...(isIpv6(canonical) ? { ipv6CidrBlock: canonical } : { cidrBlock: canonical }),
    ...((protocol === "6" || protocol === "17") && input.PortRange ? { portRange: { from: input.PortRange.From!, to: input.PortRange.To! } } : {}),
    ...(protocol === "1" || protocol === "58" ? { icmp: { type: input.IcmpTypeCode?.Type ?? -1, code: input.IcmpTypeCode?.Code ?? -1 } } : {}),
  });
  return {};
}

function deleteNetworkAclEntry(ec2: Ec2State, input: DeleteNetworkAclEntryCommandInput): Output<DeleteNetworkAclEntryCommandOutput> {
  const acl = ec2.acl(input.NetworkAclId ?? "");
  const egress = input.Egress ?? false;
  const ruleNumber = input.RuleNumber ?? 0;
  if (ruleNumber >= DEFAULT_V4) throw invalidParameter(`The default rule ${ruleNumber} cannot be deleted.`);
  if (input.DryRun) throw dryRunOperation();
  const index = acl.entries.findIndex((e) => e.egress === egress && e.ruleNumber === ruleNumber);
  if (index < 0) throw ec2Error("InvalidNetworkAclEntry.NotFound", `The specified rule does not exist in this network acl: ${acl.networkAclId} ${egress ? "egress" : "ingress"} ${ruleNumber}`);
  acl.entries.splice(index, 1);
  return {};
}

export function networkAclHandlers(ec2: Ec2State): HandlerTable {
  return {
    DescribeNetworkAcls: read((input: DescribeNetworkAclsCommandInput) => describeNetworkAcls(ec2, input)),
    CreateNetworkAclEntry: write((input: CreateNetworkAclEntryCommandInput) => createNetworkAclEntry(ec2, input)),
    DeleteNetworkAclEntry: write((input: DeleteNetworkAclEntryCommandInput) => deleteNetworkAclEntry(ec2, input)),
  };
}
