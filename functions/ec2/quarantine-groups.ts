import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribePrefixListsCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcEndpointsCommand,
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
 * - `irflow-quarantine` allows nothing in, and out only HTTPS to the VPC's SSM and S3 endpoints
 *   (see ForensicDestination; no rules at all in a VPC without them): its default allow-all egress
 *   is revoked, and any other rule someone added is removed;
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
  description: "irflow quarantine: isolates compromised instances; HTTPS out to VPC endpoints only",
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

/**
 * What a quarantined instance may still reach: HTTPS (TCP 443) to the VPC's interface endpoints of
 * the services the SSM agent needs (by their security groups) and to S3's gateway endpoint (its
 * prefix list), so that memory can be captured and uploaded after isolation. Nothing else.
 */
export type ForensicDestination = { readonly kind: "group"; readonly id: string; readonly service: string } | { readonly kind: "prefix-list"; readonly id: string; readonly service: string };
const AGENT_SERVICES = ["ssm", "ssmmessages", "ec2messages"];
const HTTPS = 443;

const label = (d: ForensicDestination): string => `${d.service} ${d.id}`;

/** The endpoint destinations of the VPC, read with DescribeVpcEndpoints (and DescribePrefixLists for S3). */
export async function forensicDestinations(vpcId: string, ctx: Ctx): Promise<ForensicDestination[]> {
  const result = await aws(`DescribeVpcEndpoints in ${vpcId}`, () => ec2(ctx).send(new DescribeVpcEndpointsCommand({ Filters: [{ Name: "vpc-id", Values: [vpcId] }] })));
  const endpoints = (result?.VpcEndpoints ?? []).filter((e) => e.VpcId === vpcId && (e.State ?? "available").toLowerCase() === "available");
  const service = (name: string | undefined) => name?.split(".").at(-1) ?? "";
  const destinations: ForensicDestination[] = [];
  for (const e of endpoints.filter((x) => x.VpcEndpointType === "Interface" && AGENT_SERVICES.includes(service(x.ServiceName)))) {
    for (const g of e.Groups ?? []) if (g.GroupId && !destinations.some((d) => d.id === g.GroupId)) destinations.push({ kind: "group", id: g.GroupId, service: service(e.ServiceName) });
  }
  const s3 = endpoints.find((x) => x.VpcEndpointType === "Gateway" && service(x.ServiceName) === "s3");
  if (s3?.ServiceName) {
    const lists = await aws(`DescribePrefixLists ${s3.ServiceName}`, () => ec2(ctx).send(new DescribePrefixListsCommand({ Filters: [{ Name: "prefix-list-name", Values: [s3.ServiceName!] }] })));
    const id = lists?.PrefixLists?.find((l) => l.PrefixListName === s3.ServiceName)?.PrefixListId;
    if (id) destinations.push({ kind: "prefix-list", id, service: "s3" });
  }
  return destinations;
}

/** Each (direction, peer) a group's permissions allow, with whether it is HTTPS to an allowed destination. */
function permissionAtoms(permissions: readonly IpPermission[] | undefined): { permission: IpPermission; peer: string; https: boolean }[] {
  return (permissions ?? []).flatMap((p) => {
    const https = (p.IpProtocol === "tcp" || p.IpProtocol === "6") && p.FromPort === HTTPS && p.ToPort === HTTPS;
    const base = { IpProtocol: p.IpProtocol, ...(p.FromPort !== undefined ? { FromPort: p.FromPort } : {}), ...(p.ToPort !== undefined ? { ToPort: p.ToPort } : {}) };
    return [
      ...(p.IpRanges ?? []).map((r) => ({ permission: { ...base, IpRanges: [{ CidrIp: r.CidrIp }] }, peer: r.CidrIp ?? "?", https: false })),
      ...(p.Ipv6Ranges ?? []).map((r) => ({ permission: { ...base, Ipv6Ranges: [{ CidrIpv6: r.CidrIpv6 }] }, peer: r.CidrIpv6 ?? "?", https: false })),
      ...(p.UserIdGroupPairs ?? []).map((g) => ({ permission: { ...base, UserIdGroupPairs: [{ GroupId: g.GroupId }] }, peer: g.GroupId ?? "?", https })),
      ...(p.PrefixListIds ?? []).map((l) => ({ permission: { ...base, PrefixListIds: [{ PrefixListId: l.PrefixListId }] }, peer: l.PrefixListId ?? "?", https })),
    ];
  });
}

/** Egress HTTPS destinations the group already allows, among the wanted ones. */
function presentForensic(group: SecurityGroup, wanted: readonly ForensicDestination[]): ForensicDestination[] {
  const atoms = permissionAtoms(group.IpPermissionsEgress).filter((a) => a.https);
  return wanted.filter((d) => atoms.some((a) => a.peer === d.id));
}

/** Rules beyond allow-all (handled by the spec) and endpoint HTTPS: anything else a quarantine group must not keep. */
function strayPermissions(group: SecurityGroup, wanted: readonly ForensicDestination[]): { ingress: IpPermission[]; egress: IpPermission[] } {
  const isAllowAll = (p: IpPermission) => p.IpProtocol === "-1" && ["0.0.0.0/0", "::/0"].includes(p.IpRanges?.[0]?.CidrIp ?? p.Ipv6Ranges?.[0]?.CidrIpv6 ?? "");
  const stray = (permissions: readonly IpPermission[] | undefined, allowHttps: boolean) =>
    permissionAtoms(permissions)
      .filter((a) => !isAllowAll(a.permission) && !(allowHttps && a.https && wanted.some((d) => d.id === a.peer)))
      .map((a) => a.permission);
  return { ingress: stray(group.IpPermissions, false), egress: stray(group.IpPermissionsEgress, true) };
}

/**
 * A quarantine group named by the step or the deployment is checked, not changed: it may allow
 * nothing in, and nothing out but HTTPS to the VPC's endpoints. Anything more would leave the
 * compromised instance a way out.
 */
export function quarantineGroupProblems(group: SecurityGroup, allowed: readonly ForensicDestination[]): string[] {
  const problems: string[] = [];
  for (const a of permissionAtoms(group.IpPermissions)) problems.push(`allows inbound ${a.permission.IpProtocol === "-1" ? "all traffic" : `${a.permission.IpProtocol} ${a.permission.FromPort ?? ""}-${a.permission.ToPort ?? ""}`} from ${a.peer}`);
  for (const a of permissionAtoms(group.IpPermissionsEgress)) {
    if (!(a.https && allowed.some((d) => d.id === a.peer))) problems.push(`allows outbound ${a.permission.IpProtocol === "-1" ? "all traffic" : `${a.permission.IpProtocol} ${a.permission.FromPort ?? ""}-${a.permission.ToPort ?? ""}`} to ${a.peer}, which is not HTTPS to a VPC endpoint`);
  }
  return problems;
}

function forensicPermission(destinations: readonly ForensicDestination[]): IpPermission {
  const groups = destinations.filter((d) => d.kind === "group");
  const lists = destinations.filter((d) => d.kind === "prefix-list");
  return {
    IpProtocol: "tcp",
    FromPort: HTTPS,
    ToPort: HTTPS,
    ...(groups.length > 0 ? { UserIdGroupPairs: groups.map((d) => ({ GroupId: d.id, Description: `irflow forensics: ${d.service} endpoint` })) } : {}),
    ...(lists.length > 0 ? { PrefixListIds: lists.map((d) => ({ PrefixListId: d.id, Description: `irflow forensics: ${d.service} gateway endpoint` })) } : {}),
  };
}

/** Brings a quarantine group's non-allow-all rules to exactly the endpoint HTTPS egress: authorizes what is missing, revokes the rest. */
async function convergeForensic(group: SecurityGroup, wanted: readonly ForensicDestination[], ctx: Ctx, apply: boolean): Promise<Change[]> {
  const groupId = group.GroupId!;
  const present = presentForensic(group, wanted);
  const missing = wanted.filter((d) => !present.includes(d));
  const stray = strayPermissions(group, wanted);
  const changes: Change[] = [];
  if (missing.length > 0) {
    if (apply) await aws(`AuthorizeSecurityGroupEgress ${groupId} HTTPS to VPC endpoints`, () => ec2(ctx).send(new AuthorizeSecurityGroupEgressCommand({ GroupId: groupId, IpPermissions: [forensicPermission(missing)] })));
    changes.push({ resource: groupId, action: "AuthorizeSecurityGroupEgress HTTPS to VPC endpoints", before: present.map(label), after: wanted.map(label) });
  }
  if (stray.ingress.length > 0) {
    if (apply) await aws(`RevokeSecurityGroupIngress ${groupId}`, () => ec2(ctx).send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: stray.ingress })));
    changes.push({ resource: groupId, action: "RevokeSecurityGroupIngress rules a quarantine group must not have", before: stray.ingress, after: [] });
  }
  if (stray.egress.length > 0) {
    if (apply) await aws(`RevokeSecurityGroupEgress ${groupId}`, () => ec2(ctx).send(new RevokeSecurityGroupEgressCommand({ GroupId: groupId, IpPermissions: stray.egress })));
    changes.push({ resource: groupId, action: "RevokeSecurityGroupEgress rules beyond HTTPS to VPC endpoints", before: stray.egress, after: [] });
  }
  return changes;
}

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
export async function plannedGroupChanges(spec: ManagedGroup, vpcId: string, ctx: Ctx, forensic: readonly ForensicDestination[] = []): Promise<{ group?: SecurityGroup; changes: Change[] }> {
  const group = await findGroup(vpcId, spec.name, ctx);
  if (!group?.GroupId) {
    return { changes: [{ resource: vpcId, action: `CreateSecurityGroup ${spec.name}`, before: null, after: { name: spec.name, allowAll: [...spec.allowAll], ...httpsTo(forensic) } }] };
  }
  const present = presentRules(group);
  const extra = spec === QUARANTINE_GROUP ? await convergeForensic(group, forensic, ctx, false) : [];
  return { group, changes: [...ruleChanges(group.GroupId, ruleWork(spec, present), present), ...extra] };
}

const httpsTo = (forensic: readonly ForensicDestination[]) => (forensic.length > 0 ? { httpsTo: forensic.map(label) } : {});

/**
 * Finds or creates the group and brings its allow-all rules to the spec. A group left half-made by
 * an earlier failure (created, default egress not yet revoked) is repaired on the next run.
 */
export async function convergeGroup(spec: ManagedGroup, vpcId: string, ctx: Ctx, forensic: readonly ForensicDestination[] = [], attempt = 0): Promise<{ groupId: string; changes: Change[] }> {
  const existing = await findGroup(vpcId, spec.name, ctx);
  if (existing?.GroupId) {
    const present = presentRules(existing);
    const work = ruleWork(spec, present);
    await applyRules(existing.GroupId, work, new Set(), ctx);
    const extra = spec === QUARANTINE_GROUP ? await convergeForensic(existing, forensic, ctx, true) : [];
    return { groupId: existing.GroupId, changes: [...ruleChanges(existing.GroupId, work, present), ...extra] };
  }
  const groupId = await createGroup(spec, vpcId, ctx);
  if (groupId === undefined) {
    if (attempt > 0) throw transient(`security group ${spec.name} in ${vpcId} was created concurrently and is not visible yet`, "InvalidGroup.Duplicate");
    return convergeGroup(spec, vpcId, ctx, forensic, attempt + 1);
  }
  // A new group starts with allow-all IPv4 egress, and IPv6 egress too when the VPC has IPv6.
  const uncertain = new Set<Rule>(["egress:ipv6"]);
  await applyRules(groupId, ruleWork(spec, new Set<Rule>(["egress:ipv4"]), uncertain), uncertain, ctx);
  if (spec === QUARANTINE_GROUP && forensic.length > 0) {
    await aws(`AuthorizeSecurityGroupEgress ${groupId} HTTPS to VPC endpoints`, () => ec2(ctx).send(new AuthorizeSecurityGroupEgressCommand({ GroupId: groupId, IpPermissions: [forensicPermission(forensic)] })));
  }
  return { groupId, changes: [{ resource: vpcId, action: `CreateSecurityGroup ${spec.name}`, before: null, after: { groupId, name: spec.name, allowAll: [...spec.allowAll], ...httpsTo(forensic) } }] };
}

/** Refuses a named quarantine group that allows more than endpoint HTTPS. */
export function assertQuarantineGroup(group: SecurityGroup, allowed: readonly ForensicDestination[], fail: (message: string) => Error): void {
  const problems = quarantineGroupProblems(group, allowed);
  if (problems.length > 0) throw fail(`quarantine group ${group.GroupId ?? "?"} ${problems.slice(0, 3).join("; ")}${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ""}: it may allow only HTTPS out to the VPC endpoints`);
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
