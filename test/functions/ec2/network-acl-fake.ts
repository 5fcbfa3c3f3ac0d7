import {
  CreateNetworkAclEntryCommand,
  CreateTagsCommand,
  DeleteNetworkAclEntryCommand,
  DeleteTagsCommand,
  DescribeNetworkAclsCommand,
  type EC2Client,
  type Filter,
  type NetworkAcl,
  type NetworkAclEntry,
} from "@aws-sdk/client-ec2";
import type { AwsClientStub } from "aws-sdk-client-mock";
import { awsError } from "../../support/task-harness.js";

/**
 * A small stateful EC2 for network ACLs, for the block/unblock/sweep tests: it answers
 * DescribeNetworkAcls from its state (with the filters the tasks use), honours DryRun, refuses a
 * taken rule number and deletes a tag given with a value only when the value matches, as EC2 does.
 */
export const VPC = "vpc-0123456789abcdef0";

export function entry(ruleNumber: number, egress: boolean, ruleAction: "allow" | "deny", cidr: string, protocol = "-1"): NetworkAclEntry {
  return { RuleNumber: ruleNumber, Egress: egress, RuleAction: ruleAction, Protocol: protocol, ...(cidr.includes(":") ? { Ipv6CidrBlock: cidr } : { CidrBlock: cidr }) };
}

/** The usual custom ACL: allow everything at 100 both ways, then the default deny. */
export const ALLOW_ALL = [entry(100, false, "allow", "0.0.0.0/0"), entry(100, true, "allow", "0.0.0.0/0")];

export function acl(id: string, options: { entries?: NetworkAclEntry[]; tags?: Record<string, string>; subnets?: string[]; vpcId?: string } = {}): NetworkAcl {
  return {
    NetworkAclId: id,
    VpcId: options.vpcId ?? VPC,
    IsDefault: false,
    Associations: (options.subnets ?? []).map((SubnetId, i) => ({ SubnetId, NetworkAclId: id, NetworkAclAssociationId: `aclassoc-${String(i).padStart(8, "0")}` })),
    Entries: [...(options.entries ?? ALLOW_ALL), entry(32767, false, "deny", "0.0.0.0/0"), entry(32767, true, "deny", "0.0.0.0/0")],
    Tags: Object.entries(options.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
  };
}

function matches(acl: NetworkAcl, filter: Filter): boolean {
  const values = filter.Values ?? [];
  const like = (value: string | undefined) => value !== undefined && values.some((v) => (v.endsWith("*") ? value.startsWith(v.slice(0, -1)) : value === v));
  switch (filter.Name) {
    case "association.subnet-id":
      return (acl.Associations ?? []).some((a) => like(a.SubnetId));
    case "vpc-id":
      return like(acl.VpcId);
    case "network-acl-id":
      return like(acl.NetworkAclId);
    case "tag-key":
      return (acl.Tags ?? []).some((t) => like(t.Key));
    default:
      throw new Error(`the fake does not know filter ${filter.Name}`);
  }
}

export class NetworkAclFake {
  readonly acls: NetworkAcl[];

  constructor(acls: NetworkAcl[]) {
    this.acls = structuredClone(acls);
  }

  get(id: string): NetworkAcl {
    const found = this.acls.find((a) => a.NetworkAclId === id);
    if (!found) throw awsError("InvalidNetworkAclID.NotFound", 400, `The network ACL '${id}' does not exist`);
    return found;
  }

  tags(id: string): Record<string, string> {
    return Object.fromEntries((this.get(id).Tags ?? []).map((t) => [t.Key!, t.Value ?? ""]));
  }

  /** Entries other than the default ones, as [direction, number, action, cidr]. */
  rules(id: string): [string, number, string, string][] {
    return (this.get(id).Entries ?? [])
      .filter((e) => e.RuleNumber! < 32767)
      .map((e): [string, number, string, string] => [e.Egress ? "egress" : "ingress", e.RuleNumber!, e.RuleAction!, e.CidrBlock ?? e.Ipv6CidrBlock!])
      .sort((a, b) => a[0].localeCompare(b[0]) || a[1] - b[1]);
  }

  install(ec2: AwsClientStub<EC2Client>): void {
    ec2.on(DescribeNetworkAclsCommand).callsFake((input: { Filters?: Filter[] }) => ({
      NetworkAcls: structuredClone(this.acls.filter((a) => (input.Filters ?? []).every((f) => matches(a, f)))),
    }));
    ec2.on(CreateNetworkAclEntryCommand).callsFake((input: NetworkAclEntry & { NetworkAclId: string; DryRun?: boolean }) => {
      const target = this.get(input.NetworkAclId);
      if (input.DryRun) throw awsError("DryRunOperation", 412);
      if ((target.Entries ?? []).some((e) => e.Egress === input.Egress && e.RuleNumber === input.RuleNumber)) throw awsError("NetworkAclEntryAlreadyExists");
      target.Entries = [...(target.Entries ?? []), entry(input.RuleNumber!, input.Egress!, input.RuleAction as "deny", (input.CidrBlock ?? input.Ipv6CidrBlock)!, input.Protocol)];
      return {};
    });
    ec2.on(DeleteNetworkAclEntryCommand).callsFake((input: { NetworkAclId: string; RuleNumber: number; Egress: boolean; DryRun?: boolean }) => {
      const target = this.get(input.NetworkAclId);
      if (input.DryRun) throw awsError("DryRunOperation", 412);
      const before = target.Entries?.length ?? 0;
      target.Entries = (target.Entries ?? []).filter((e) => !(e.Egress === input.Egress && e.RuleNumber === input.RuleNumber));
      if (target.Entries.length === before) throw awsError("InvalidNetworkAclEntry.NotFound");
      return {};
    });
    ec2.on(CreateTagsCommand).callsFake((input: { Resources: string[]; Tags: { Key: string; Value: string }[] }) => {
      for (const id of input.Resources) {
        const target = this.get(id);
        const tags = new Map((target.Tags ?? []).map((t) => [t.Key!, t.Value ?? ""]));
        for (const t of input.Tags) tags.set(t.Key, t.Value);
        if (tags.size > 50) throw awsError("TagLimitExceeded");
        target.Tags = [...tags].map(([Key, Value]) => ({ Key, Value }));
      }
      return {};
    });
    ec2.on(DeleteTagsCommand).callsFake((input: { Resources: string[]; Tags: { Key: string; Value?: string }[] }) => {
      for (const id of input.Resources) {
        const target = this.get(id);
        target.Tags = (target.Tags ?? []).filter((t) => !input.Tags.some((d) => d.Key === t.Key && (d.Value === undefined || d.Value === t.Value)));
      }
      return {};
    });
  }
}
