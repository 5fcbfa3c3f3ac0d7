import type {
  AuthorizeSecurityGroupEgressCommandInput,
  AuthorizeSecurityGroupIngressCommandInput,
  CreateSecurityGroupCommandInput,
  CreateSecurityGroupCommandOutput,
  DescribeSecurityGroupRulesCommandInput,
  DescribeSecurityGroupRulesCommandOutput,
  DescribeSecurityGroupsCommandInput,
  DescribeSecurityGroupsCommandOutput,
  IpPermission,
  RevokeSecurityGroupEgressCommandInput,
  RevokeSecurityGroupIngressCommandInput,
  SecurityGroup,
  SecurityGroupRule,
  TagSpecification,
} from "@aws-sdk/client-ec2";
import { SimulationError } from "./errors.js";
import { canonicalProtocol, dryRunOperation, ec2Error, type Ec2State, filterBy, type GroupState, invalidParameter, paginate, type RuleState, tagsMatchingFilter } from "./ec2-state.js";
import { applyTagSpecifications } from "./ec2-tags.js";
import { read, write, type HandlerTable, type Output } from "./handlers.js";
import { canonicalCidr, isIpv6, isValidCidr } from "./net.js";
import { tagListOrAbsent } from "./plain.js";

/** Security groups and their rules, with rule ids, as VPC security groups behave since 2021. */

/** Rules per group and direction, per address family (the default quota). */
const MAX_RULES = 60;
const KNOWN_PROTOCOLS = new Set(["-1", "tcp", "udp", "icmp", "icmpv6"]);

const groupArn = (ec2: Ec2State, group: GroupState) => `arn:aws:ec2:${ec2.ctx.region}:${ec2.ctx.accountId}:security-group/${group.groupId}`;

export function sdkRule(ec2: Ec2State, group: GroupState, rule: RuleState): SecurityGroupRule {
  return {
    SecurityGroupRuleId: rule.ruleId,
    GroupId: group.groupId,
    GroupOwnerId: ec2.ctx.accountId,
    IsEgress: rule.egress,
    IpProtocol: rule.protocol,
    FromPort: rule.fromPort,
    ToPort: rule.toPort,
    ...(rule.cidrIpv4 !== undefined ? { CidrIpv4: rule.cidrIpv4 } : {}),
    ...(rule.cidrIpv6 !== undefined ? { CidrIpv6: rule.cidrIpv6 } : {}),
    ...(rule.prefixListId !== undefined ? { PrefixListId: rule.prefixListId } : {}),
    ...(rule.referencedGroupId !== undefined ? { ReferencedGroupInfo: { GroupId: rule.referencedGroupId, UserId: ec2.ctx.accountId } } : {}),
    ...(rule.description !== undefined ? { Description: rule.description } : {}),
    SecurityGroupRuleArn: `arn:aws:ec2:${ec2.ctx.region}:${ec2.ctx.accountId}:security-group-rule/${rule.ruleId}`,
    Tags: Object.entries(rule.tags).map(([Key, Value]) => ({ Key, Value })),
  };
}

/** The rules of one direction folded into IpPermissions, as DescribeSecurityGroups shows them. */
function permissionsOf(ec2: Ec2State, rules: readonly RuleState[]): IpPermission[] {
  const byKey = new Map<string, IpPermission>();
  for (const rule of rules) {
    const key = `${rule.protocol}|${rule.fromPort}|${rule.toPort}`;
    let permission = byKey.get(key);
    if (!permission) {
      permission = { IpProtocol: rule.protocol, ...(rule.protocol === "-1" ? {} : { FromPort: rule.fromPort, ToPort: rule.toPort }), IpRanges: [], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] };
      byKey.set(key, permission);
    }
    const description = rule.description !== undefined ? { Description: rule.description } : {};
    if (rule.cidrIpv4 !== undefined) permission.IpRanges!.push({ CidrIp: rule.cidrIpv4, ...description });
    if (rule.cidrIpv6 !== undefined) permission.Ipv6Ranges!.push({ CidrIpv6: rule.cidrIpv6, ...description });
    if (rule.prefixListId !== undefined) permission.PrefixListIds!.push({ PrefixListId: rule.prefixListId, ...description });
    if (rule.referencedGroupId !== undefined) permission.UserIdGroupPairs!.push({ GroupId: rule.referencedGroupId, UserId: ec2.ctx.accountId, ...description });
  }
  return [...byKey.values()];
}

export function sdkGroup(ec2: Ec2State, group: GroupState): SecurityGroup {
  return {
    GroupId: group.groupId,
    GroupName: group.groupName,
    Description: group.description,
    VpcId: group.vpcId,
    OwnerId: ec2.ctx.accountId,
    SecurityGroupArn: groupArn(ec2, group),
    IpPermissions: permissionsOf(ec2, group.rules.filter((r) => !r.egress)),
    IpPermissionsEgress: permissionsOf(ec2, group.rules.filter((r) => r.egress)),
    ...tagListOrAbsent(group.tags),
  };
}

const GROUP_FILTERS = ["group-id", "group-name", "vpc-id", "description", "owner-id", "ip-permission.cidr", "ip-permission.from-port", "ip-permission.to-port", "ip-permission.protocol", "egress.ip-permission.cidr"];

function groupValues(ec2: Ec2State, group: GroupState, name: string): readonly string[] | undefined {
  const ingress = group.rules.filter((r) => !r.egress);
  const values: Readonly<Record<string, readonly string[]>> = {
    "group-id": [group.groupId],
    "group-name": [group.groupName],
    "vpc-id": [group.vpcId],
    description: [group.description],
    "owner-id": [ec2.ctx.accountId],
    "ip-permission.cidr": ingress.flatMap((r) => (r.cidrIpv4 ? [r.cidrIpv4] : [])),
    "ip-permission.from-port": ingress.map((r) => String(r.fromPort)),
    "ip-permission.to-port": ingress.map((r) => String(r.toPort)),
    "ip-permission.protocol": ingress.map((r) => r.protocol),
    "egress.ip-permission.cidr": group.rules.filter((r) => r.egress).flatMap((r) => (r.cidrIpv4 ? [r.cidrIpv4] : [])),
  };
  return values[name] ?? tagsMatchingFilter(group.tags, name);
}

function namedGroups(ec2: Ec2State, ids: readonly string[]): GroupState[] {
  const missing = ids.filter((id) => {
    try {
      ec2.group(id);
      return false;
    } catch (error) {
      if (ids.length === 1) throw error;
      return true;
    }
  });
  if (missing.length > 0) throw ec2Error("InvalidGroup.NotFound", `The security group '${missing.join("', '")}' does not exist`);
  return [...new Set(ids)].map((id) => ec2.groups.get(id)!);
}

function describeSecurityGroups(ec2: Ec2State, input: DescribeSecurityGroupsCommandInput): Output<DescribeSecurityGroupsCommandOutput> {
  if (input.GroupNames?.length) {
    // Names alone address groups of the default VPC (and EC2-Classic), which scenarios rarely have.
    const defaultVpc = [...ec2.vpcs.values()].find((v) => v.isDefault);
    const groups = input.GroupNames.map((name) => {
      const group = [...ec2.groups.values()].find((g) => g.groupName === name && g.vpcId === defaultVpc?.vpcId);
      if (!group) throw ec2Error("InvalidGroup.NotFound", `The security group '${name}' does not exist in default VPC '${defaultVpc?.vpcId ?? "none"}'`);
      return group;
    });
    return { SecurityGroups: groups.map((g) => sdkGroup(ec2, g)) };
  }
  if (input.GroupIds?.length && input.MaxResults !== undefined) throw ec2Error("InvalidParameterCombination", "The parameter groupIds cannot be used with the parameter maxResults");
  const candidates = input.GroupIds?.length ? namedGroups(ec2, input.GroupIds) : [...ec2.groups.values()];
  const matched = filterBy(candidates, input.Filters, GROUP_FILTERS, (g, name) => groupValues(ec2, g, name));
  const { page, NextToken } = paginate(matched, input, { min: 5, max: 1000 }, "DescribeSecurityGroups");
  return { SecurityGroups: page.map((g) => sdkGroup(ec2, g)), ...(NextToken ? { NextToken } : {}) };
}

/** The groups of `ids` that exist, in the account's order; one id (a task's usual lookup) without a walk of every group. */
function groupsById(ec2: Ec2State, ids: ReadonlySet<string>): GroupState[] {
  if (ids.size === 1) {
    const group = ec2.groups.get(ids.values().next().value!);
    return group ? [group] : [];
  }
  return [...ec2.groups.values()].filter((group) => ids.has(group.groupId));
}

function describeSecurityGroupRules(ec2: Ec2State, input: DescribeSecurityGroupRulesCommandInput): Output<DescribeSecurityGroupRulesCommandOutput> {
  // A group-id filter narrows the groups before their rules are listed (the filter still applies
  // below): listing every rule of a large account on each call made the lookup the account's size.
  // Only literal ids narrow: a wildcard value (EC2 filters take * and ?) goes through the scan.
  const groupIds = input.SecurityGroupRuleIds?.length ? undefined : input.Filters?.find((filter) => filter.Name === "group-id" && filter.Values?.length && filter.Values.every((v) => !/[*?\\]/.test(v)))?.Values;
  const wanted = groupIds ? new Set(groupIds) : undefined;
  const groups = wanted ? groupsById(ec2, wanted) : [...ec2.groups.values()];
  const all = groups.flatMap((group) => group.rules.map((rule) => ({ group, rule })));
  let candidates = all;
  if (input.SecurityGroupRuleIds?.length) {
    if (input.MaxResults !== undefined) throw ec2Error("InvalidParameterCombination", "The parameter SecurityGroupRuleIds cannot be used with the parameter MaxResults");
    candidates = input.SecurityGroupRuleIds.map((id) => {
      const found = all.find((r) => r.rule.ruleId === id);
      if (!found) throw ec2Error("InvalidSecurityGroupRuleId.NotFound", `The security group rule ID '${id}' does not exist`);
      return found;
    });
  }
  const matched = filterBy(candidates, input.Filters, ["group-id", "security-group-rule-id"], ({ group, rule }, name) =>
    name === "group-id" ? [group.groupId] : name === "security-group-rule-id" ? [rule.ruleId] : tagsMatchingFilter(rule.tags, name),
  );
  const { page, NextToken } = paginate(matched, input, { min: 5, max: 1000 }, "DescribeSecurityGroupRules");
  return { SecurityGroupRules: page.map(({ group, rule }) => sdkRule(ec2, group, rule)), ...(NextToken ? { NextToken } : {}) };
}

function createSecurityGroup(ec2: Ec2State, input: CreateSecurityGroupCommandInput): Output<CreateSecurityGroupCommandOutput> {
  const name = input.GroupName ?? "";
  if (!name) throw ec2Error("MissingParameter", "The request must contain the parameter groupName");
  if (!input.Description) throw ec2Error("MissingParameter", "The request must contain the parameter groupDescription");
  if (name.length > 255 || name.toLowerCase().startsWith("sg-")) throw invalidParameter(`Value (${name}) for parameter GroupName is invalid. Group names may not be in the format sg-*.`);
  if (!input.VpcId) throw ec2Error("VPCIdNotSpecified", "No default VPC for this user");
  const vpc = ec2.vpc(input.VpcId);
  const tags: Record<string, string> = {};
  applyTagSpecifications(input.TagSpecifications, { "security-group": tags }, "CreateSecurityGroup");
  if (input.DryRun) throw dryRunOperation();
  if ([...ec2.groups.values()].some((g) => g.vpcId === vpc.vpcId && g.groupName === name)) {
    throw ec2Error("InvalidGroup.Duplicate", `The security group '${name}' already exists for VPC '${vpc.vpcId}'`);
  }
  const group: GroupState = { groupId: ec2.ctx.ids.ec2("sg"), groupName: name, description: input.Description, vpcId: vpc.vpcId, tags, rules: [] };
  // Every new group allows all outbound IPv4 traffic, and IPv6 when the VPC has an IPv6 block.
  group.rules.push({ ruleId: ec2.ctx.ids.ec2("sgr"), egress: true, protocol: "-1", fromPort: -1, toPort: -1, cidrIpv4: "0.0.0.0/0", tags: {} });
  if (vpc.ipv6Cidr) group.rules.push({ ruleId: ec2.ctx.ids.ec2("sgr"), egress: true, protocol: "-1", fromPort: -1, toPort: -1, cidrIpv6: "::/0", tags: {} });
  ec2.groups.set(group.groupId, group);
  return { GroupId: group.groupId, SecurityGroupArn: groupArn(ec2, group), ...tagListOrAbsent(tags) };
}

type RuleShape = Omit<RuleState, "ruleId" | "tags">;

/** One request permission expanded into rules (one per range), validated as EC2 validates them. */
function rulesOf(ec2: Ec2State, group: GroupState, permission: IpPermission, egress: boolean): RuleShape[] {
  const protocol = canonicalProtocol(permission.IpProtocol ?? "");
  if (!protocol) throw ec2Error("MissingParameter", "The request must contain the parameter ipPermissions.ipProtocol");
  if (!KNOWN_PROTOCOLS.has(protocol) && !(/^\d{1,3}$/.test(protocol) && Number(protocol) <= 255)) throw invalidParameter(`Invalid value '${permission.IpProtocol ?? ""}' for IP protocol. Unknown protocol.`);
  let fromPort = -1;
  let toPort = -1;
  if (protocol === "tcp" || protocol === "udp") {
    if (permission.FromPort === undefined || permission.ToPort === undefined) throw invalidParameter(`Invalid value for portRange. Must specify both from and to ports with TCP/UDP.`);
    if (permission.FromPort < 0 || permission.ToPort > 65535 || permission.FromPort > permission.ToPort) throw invalidParameter(`Invalid value for portRange: ${permission.FromPort}-${permission.ToPort}`);
    fromPort = permission.FromPort;
    toPort = permission.ToPort;
  } else if (protocol === "icmp" || protocol === "icmpv6") {
    fromPort = permission.FromPort ?? -1;
    toPort = permission.ToPort ?? -1;
  }
  const base = { egress, protocol, fromPort, toPort };
  const rules: RuleShape[] = [];
  for (const range of permission.IpRanges ?? []) {
    if (!range.CidrIp || !isValidCidr(range.CidrIp) || isIpv6(range.CidrIp)) throw invalidParameter(`CIDR block ${range.CidrIp ?? "(none)"} is malformed`);
    rules.push({ ...base, cidrIpv4: range.CidrIp, description: range.Description });
  }
  for (const range of permission.Ipv6Ranges ?? []) {
    if (!range.CidrIpv6 || !isValidCidr(range.CidrIpv6) || !isIpv6(range.CidrIpv6)) throw invalidParameter(`CIDR block ${range.CidrIpv6 ?? "(none)"} is malformed`);
    rules.push({ ...base, cidrIpv6: canonicalCidr(range.CidrIpv6), description: range.Description });
  }
  for (const pair of permission.UserIdGroupPairs ?? []) {
    if (!pair.GroupId) throw new SimulationError("simulated EC2 models group references by GroupId only");
    const referenced = ec2.group(pair.GroupId);
    if (referenced.vpcId !== group.vpcId) throw ec2Error("InvalidGroup.NotFound", `You have specified two resources that belong to different networks.`);
    rules.push({ ...base, referencedGroupId: pair.GroupId, description: pair.Description });
  }
  for (const prefix of permission.PrefixListIds ?? []) {
    if (!prefix.PrefixListId) throw ec2Error("MissingParameter", "The request must contain the parameter PrefixListId");
    rules.push({ ...base, prefixListId: prefix.PrefixListId, description: prefix.Description });
  }
  if (rules.length === 0) throw ec2Error("MissingParameter", "The request must contain at least one of ipRanges, ipv6Ranges, groups, prefixListIds");
  return rules;
}

const sameRule = (a: RuleShape, b: RuleShape) =>
  a.egress === b.egress &&
  a.protocol === b.protocol &&
  (a.protocol === "-1" || (a.fromPort === b.fromPort && a.toPort === b.toPort)) &&
  a.cidrIpv4 === b.cidrIpv4 &&
  a.cidrIpv6 === b.cidrIpv6 &&
  a.referencedGroupId === b.referencedGroupId &&
  a.prefixListId === b.prefixListId;

function describeShape(rule: RuleShape): string {
  const peer = rule.cidrIpv4 ?? rule.cidrIpv6 ?? rule.referencedGroupId ?? rule.prefixListId ?? "?";
  const protocol = rule.protocol === "-1" ? "ALL" : rule.protocol.toUpperCase();
  return `peer: ${peer}, ${protocol}, from port: ${rule.fromPort}, to port: ${rule.toPort}, ALLOW`;
}

interface AuthorizeInput {
  GroupId?: string | undefined;
  GroupName?: string | undefined;
  IpPermissions?: IpPermission[] | undefined;
  TagSpecifications?: TagSpecification[] | undefined;
  DryRun?: boolean | undefined;
  CidrIp?: string | undefined;
  FromPort?: number | undefined;
  ToPort?: number | undefined;
  IpProtocol?: string | undefined;
}

function targetGroup(ec2: Ec2State, input: { GroupId?: string | undefined; GroupName?: string | undefined }): GroupState {
  if (input.GroupId) return ec2.group(input.GroupId);
  if (input.GroupName) {
    const defaultVpc = [...ec2.vpcs.values()].find((v) => v.isDefault);
    const group = [...ec2.groups.values()].find((g) => g.groupName === input.GroupName && g.vpcId === defaultVpc?.vpcId);
    if (!group) throw ec2Error("InvalidGroup.NotFound", `The security group '${input.GroupName}' does not exist in default VPC '${defaultVpc?.vpcId ?? "none"}'`);
    return group;
  }
  throw ec2Error("MissingParameter", "The request must contain the parameter groupName or groupId");
}

function legacyPermission(input: AuthorizeInput): IpPermission[] {
  if (input.IpPermissions?.length) return input.IpPermissions;
  if (input.CidrIp || input.IpProtocol) return [{ IpProtocol: input.IpProtocol, FromPort: input.FromPort, ToPort: input.ToPort, IpRanges: input.CidrIp ? [{ CidrIp: input.CidrIp }] : [] }];
  throw ec2Error("MissingParameter", "The request must contain the parameter ipPermissions");
}

function authorize(ec2: Ec2State, input: AuthorizeInput, egress: boolean) {
  const group = targetGroup(ec2, input);
  const wanted = legacyPermission(input).flatMap((p) => rulesOf(ec2, group, p, egress));
  const tags: Record<string, string> = {};
  applyTagSpecifications(input.TagSpecifications, { "security-group-rule": tags }, egress ? "AuthorizeSecurityGroupEgress" : "AuthorizeSecurityGroupIngress");
  if (input.DryRun) throw dryRunOperation();
  for (const [index, rule] of wanted.entries()) {
    const existing = group.rules.find((r) => sameRule(r, rule)) ?? wanted.slice(0, index).find((r) => sameRule(r, rule));
    if (existing) throw ec2Error("InvalidPermission.Duplicate", `the specified rule "${describeShape(rule)}" already exists`);
  }
  for (const family of ["v4", "v6"] as const) {
    const count = (rules: readonly RuleShape[]) => rules.filter((r) => r.egress === egress && (family === "v6" ? r.cidrIpv6 !== undefined : r.cidrIpv6 === undefined)).length;
    if (count(group.rules) + count(wanted) > MAX_RULES) throw ec2Error("RulesPerSecurityGroupLimitExceeded", "The maximum number of rules per security group has been reached.");
  }
  const created = wanted.map((rule): RuleState => ({ ...rule, ruleId: ec2.ctx.ids.ec2("sgr"), tags: { ...tags } }));
  group.rules.push(...created);
  return { Return: true, SecurityGroupRules: created.map((r) => sdkRule(ec2, group, r)) };
}

interface RevokeInput extends AuthorizeInput {
  SecurityGroupRuleIds?: string[] | undefined;
}

/**
 * By rule id, or by exact permission. In a non-default VPC a permission that matches nothing fails
 * the whole call (InvalidPermission.NotFound); in a default VPC it is reported back as unknown.
 */
function revoke(ec2: Ec2State, input: RevokeInput, egress: boolean) {
  const group = targetGroup(ec2, input);
  const direction = egress ? "egress" : "ingress";
  let removing: RuleState[] = [];
  const unknown: IpPermission[] = [];
  if (input.SecurityGroupRuleIds?.length) {
    if (input.IpPermissions?.length) throw ec2Error("InvalidParameterCombination", "SecurityGroupRuleIds cannot be combined with IpPermissions");
    removing = input.SecurityGroupRuleIds.map((id) => {
      const rule = group.rules.find((r) => r.ruleId === id && r.egress === egress);
      if (!rule) throw ec2Error("InvalidSecurityGroupRuleId.NotFound", `The security group rule ID '${id}' does not exist in ${direction} rules of '${group.groupId}'`);
      return rule;
    });
  } else {
    const vpc = ec2.vpcs.get(group.vpcId);
    const shapes = legacyPermission(input).map((permission) => ({ permission, rules: rulesOf(ec2, group, permission, egress) }));
    if (input.DryRun) throw dryRunOperation();
    for (const { permission, rules } of shapes) {
      for (const shape of rules) {
        const rule = group.rules.find((r) => sameRule(r, shape));
        if (rule) removing.push(rule);
        else if (vpc?.isDefault) unknown.push(permission);
        else throw ec2Error("InvalidPermission.NotFound", "The specified rule does not exist in this security group.");
      }
    }
  }
  if (input.DryRun) throw dryRunOperation();
  const ids = new Set(removing.map((r) => r.ruleId));
  group.rules = group.rules.filter((r) => !ids.has(r.ruleId));
  return {
    Return: true,
    ...(unknown.length > 0 ? { UnknownIpPermissions: unknown } : {}),
    RevokedSecurityGroupRules: removing.map((r) => ({
      SecurityGroupRuleId: r.ruleId,
      GroupId: group.groupId,
      IsEgress: r.egress,
      IpProtocol: r.protocol,
      FromPort: r.fromPort,
      ToPort: r.toPort,
      ...(r.cidrIpv4 ? { CidrIpv4: r.cidrIpv4 } : {}),
      ...(r.cidrIpv6 ? { CidrIpv6: r.cidrIpv6 } : {}),
      ...(r.description ? { Description: r.description } : {}),
    })),
  };
}

export function securityGroupHandlers(ec2: Ec2State): HandlerTable {
  return {
    DescribeSecurityGroups: read((input: DescribeSecurityGroupsCommandInput) => describeSecurityGroups(ec2, input)),
    DescribeSecurityGroupRules: read((input: DescribeSecurityGroupRulesCommandInput) => describeSecurityGroupRules(ec2, input)),
    CreateSecurityGroup: write((input: CreateSecurityGroupCommandInput) => createSecurityGroup(ec2, input)),
    AuthorizeSecurityGroupIngress: write((input: AuthorizeSecurityGroupIngressCommandInput) => authorize(ec2, input, false)),
    AuthorizeSecurityGroupEgress: write((input: AuthorizeSecurityGroupEgressCommandInput) => authorize(ec2, input, true)),
    RevokeSecurityGroupIngress: write((input: RevokeSecurityGroupIngressCommandInput) => revoke(ec2, input, false)),
    RevokeSecurityGroupEgress: write((input: RevokeSecurityGroupEgressCommandInput) => revoke(ec2, input, true)),
  };
}
