import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  type IpPermission,
  type SecurityGroup,
} from "@aws-sdk/client-ec2";
import { aws } from "../contract/aws-errors.js";
import type { Change } from "../contract/changes.js";
import { isTaskError, notFound, transient } from "../contract/errors.js";
import type { TaskContext } from "../contract/task.js";
import { ec2 } from "./instance-lookup.js";

/**
 * The two security groups isolation manages per VPC, found by name (unique within a VPC) and
 * created, tagged, when absent:
 * - `irflow-quarantine` has no rules at all (its default allow-all egress is revoked);
 * - `irflow-untrack` allows all traffic in and out, IPv4 and IPv6. Connections through a group
 *   whose rules allow everything in both directions are not tracked, so moving an interface here
 *   first and then into the quarantine group drops connections that a direct swap would keep.
 */
type Rule = "ingress:ipv4" | "ingress:ipv6" | "egress:ipv4" | "egress:ipv6";
const ALL_RULES: readonly Rule[] = ["ingress:ipv4", "ingress:ipv6", "egress:ipv4", "egress:ipv6"];

export interface ManagedGroup {
  readonly name: string;
  readonly description: string;
  readonly purpose: string;
  /** Which allow-all rules must exist; the others must not. */
  readonly allowAll: readonly Rule[];
}

export const QUARANTINE_GROUP: ManagedGroup = {
  name: "irflow-quarantine",
  description: "irflow quarantine: no rules, isolates compromised instances",
  purpose: "quarantine",
  allowAll: [],
};

export const UNTRACK_GROUP: ManagedGroup = {
  name: "irflow-untrack",
  description: "irflow isolation step: allow-all so tracked connections become untracked",
  purpose: "untrack-connections",
  allowAll: ALL_RULES,
};

type Ctx = Pick<TaskContext, "aws">;

export async function findGroup(vpcId: string, name: string, ctx: Ctx): Promise<SecurityGroup | undefined> {
  const result = await aws(`DescribeSecurityGroups ${name} in ${vpcId}`, () =>
    ec2(ctx).send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: "vpc-id", Values: [vpcId] }, { Name: "group-name", Values: [name] }] })),
  );
  return result.SecurityGroups?.find((g) => g.GroupName === name && g.VpcId === vpcId);
}

export async function describeGroups(groupIds: readonly string[], ctx: Ctx): Promise<SecurityGroup[]> {
  const result = await aws(`DescribeSecurityGroups ${groupIds.join(", ")}`, () => ec2(ctx).send(new DescribeSecurityGroupsCommand({ GroupIds: [...groupIds] })));
  const groups = result.SecurityGroups ?? [];
  for (const id of groupIds) {
    if (!groups.some((g) => g.GroupId === id)) throw notFound(`security group ${id} does not exist`, id);
  }
  return groups;
}

function allowsAll(permissions: readonly IpPermission[] | undefined, family: "ipv4" | "ipv6"): boolean {
  return (permissions ?? []).some(
    (p) => p.IpProtocol === "-1" && (family === "ipv4" ? (p.IpRanges ?? []).some((r) => r.CidrIp === "0.0.0.0/0") : (p.Ipv6Ranges ?? []).some((r) => r.CidrIpv6 === "::/0")),
  );
}

function presentRules(group: SecurityGroup): Set<Rule> {
  return new Set(
    ALL_RULES.filter((rule) => {
      const [direction, family] = rule.split(":") as ["ingress" | "egress", "ipv4" | "ipv6"];
      return allowsAll(direction === "ingress" ? group.IpPermissions : group.IpPermissionsEgress, family);
    }),
  );
}

interface RuleWork {
  readonly authorize: Rule[];
  readonly revoke: Rule[];
}

/** `uncertain` rules may or may not exist: authorized as if absent, revoked as if present. */
function ruleWork(spec: ManagedGroup, present: ReadonlySet<Rule>, uncertain: ReadonlySet<Rule> = new Set()): RuleWork {
  return {
    authorize: spec.allowAll.filter((rule) => !present.has(rule)),
    revoke: ALL_RULES.filter((rule) => (present.has(rule) || uncertain.has(rule)) && !spec.allowAll.includes(rule)),
  };
}

function ruleChanges(groupId: string, work: RuleWork, present: ReadonlySet<Rule>): Change[] {
  const before = [...present].sort();
  const after = [...ALL_RULES.filter((r) => (present.has(r) || work.authorize.includes(r)) && !work.revoke.includes(r))].sort();
  const changes: Change[] = [];
  for (const direction of ["ingress", "egress"] as const) {
    const verb = direction === "ingress" ? "Ingress" : "Egress";
    if (work.authorize.some((r) => r.startsWith(direction))) changes.push({ resource: groupId, action: `AuthorizeSecurityGroup${verb} all traffic`, before, after });
    if (work.revoke.some((r) => r.startsWith(direction))) changes.push({ resource: groupId, action: `RevokeSecurityGroup${verb} all traffic`, before, after });
  }
  return changes;
}

/** What converging the group would change (read-only, for plans). */
export async function plannedGroupChanges(spec: ManagedGroup, vpcId: string, ctx: Ctx): Promise<{ group?: SecurityGroup; changes: Change[] }> {
  const group = await findGroup(vpcId, spec.name, ctx);
  if (!group?.GroupId) {
    return { changes: [{ resource: vpcId, action: `CreateSecurityGroup ${spec.name}`, before: null, after: { name: spec.name, allowAll: [...spec.allowAll] } }] };
  }
  const present = presentRules(group);
  return { group, changes: ruleChanges(group.GroupId, ruleWork(spec, present), present) };
}

/**
 * Finds or creates the group and brings its allow-all rules to the spec. A group left half-made by
 * an earlier failure (created, default egress not yet revoked) is repaired on the next run.
 */
export async function convergeGroup(spec: ManagedGroup, vpcId: string, ctx: Ctx, attempt = 0): Promise<{ groupId: string; changes: Change[] }> {
  const existing = await findGroup(vpcId, spec.name, ctx);
  if (existing?.GroupId) {
    const present = presentRules(existing);
    const work = ruleWork(spec, present);
    await applyRules(existing.GroupId, work, new Set(), ctx);
    return { groupId: existing.GroupId, changes: ruleChanges(existing.GroupId, work, present) };
  }
  const groupId = await createGroup(spec, vpcId, ctx);
  if (groupId === undefined) {
    if (attempt > 0) throw transient(`security group ${spec.name} in ${vpcId} was created concurrently and is not visible yet`, "InvalidGroup.Duplicate");
    return convergeGroup(spec, vpcId, ctx, attempt + 1);
  }
  // A new group starts with allow-all IPv4 egress, and IPv6 egress too when the VPC has IPv6.
  const uncertain = new Set<Rule>(["egress:ipv6"]);
  await applyRules(groupId, ruleWork(spec, new Set<Rule>(["egress:ipv4"]), uncertain), uncertain, ctx);
  return { groupId, changes: [{ resource: vpcId, action: `CreateSecurityGroup ${spec.name}`, before: null, after: { groupId, name: spec.name, allowAll: [...spec.allowAll] } }] };
}

/** The new group's id, or undefined when a concurrent isolation created it first. */
async function createGroup(spec: ManagedGroup, vpcId: string, ctx: Ctx): Promise<string | undefined> {
  try {
    const created = await aws(`CreateSecurityGroup ${spec.name} in ${vpcId}`, () =>
      ec2(ctx).send(
        new CreateSecurityGroupCommand({
          GroupName: spec.name,
          Description: spec.description,
          VpcId: vpcId,
          TagSpecifications: [
            {
              ResourceType: "security-group",
              Tags: [
                { Key: "Name", Value: spec.name },
                { Key: "irflow:managed", Value: "true" },
                { Key: "irflow:purpose", Value: spec.purpose },
              ],
            },
          ],
        }),
      ),
    );
    if (!created.GroupId) throw notFound(`CreateSecurityGroup ${spec.name} in ${vpcId} returned no group id`, vpcId);
    return created.GroupId;
  } catch (error) {
    if (isTaskError(error) && error.detail === "InvalidGroup.Duplicate") return undefined;
    throw error;
  }
}

function permissions(rules: readonly Rule[]): IpPermission[] {
  const v4 = rules.some((r) => r.endsWith("ipv4"));
  const v6 = rules.some((r) => r.endsWith("ipv6"));
  return [{ IpProtocol: "-1", ...(v4 ? { IpRanges: [{ CidrIp: "0.0.0.0/0" }] } : {}), ...(v6 ? { Ipv6Ranges: [{ CidrIpv6: "::/0" }] } : {}) }];
}

/** Applies the rule work; rules in `uncertain` may or may not exist, so their "already so" errors are fine. */
async function applyRules(groupId: string, work: RuleWork, uncertain: ReadonlySet<Rule>, ctx: Ctx): Promise<void> {
  for (const direction of ["ingress", "egress"] as const) {
    for (const verb of ["authorize", "revoke"] as const) {
      const rules = work[verb].filter((r) => r.startsWith(direction));
      const sure = rules.filter((r) => !uncertain.has(r));
      const unsure = rules.filter((r) => uncertain.has(r));
      if (sure.length > 0) await sendRules(groupId, direction, verb, sure, ctx);
      for (const rule of unsure) await tolerate(verb === "authorize" ? "InvalidPermission.Duplicate" : "InvalidPermission.NotFound", sendRules(groupId, direction, verb, [rule], ctx));
    }
  }
}

async function sendRules(groupId: string, direction: "ingress" | "egress", verb: "authorize" | "revoke", rules: readonly Rule[], ctx: Ctx): Promise<void> {
  const input = { GroupId: groupId, IpPermissions: permissions(rules) };
  const client = ec2(ctx);
  if (direction === "ingress" && verb === "authorize") await aws(`AuthorizeSecurityGroupIngress ${groupId}`, () => client.send(new AuthorizeSecurityGroupIngressCommand(input)));
  if (direction === "egress" && verb === "authorize") await aws(`AuthorizeSecurityGroupEgress ${groupId}`, () => client.send(new AuthorizeSecurityGroupEgressCommand(input)));
  if (direction === "ingress" && verb === "revoke") await aws(`RevokeSecurityGroupIngress ${groupId}`, () => client.send(new RevokeSecurityGroupIngressCommand(input)));
  if (direction === "egress" && verb === "revoke") await aws(`RevokeSecurityGroupEgress ${groupId}`, () => client.send(new RevokeSecurityGroupEgressCommand(input)));
}

async function tolerate(code: string, call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (error) {
    if (!(isTaskError(error) && error.detail === code)) throw error;
  }
}
