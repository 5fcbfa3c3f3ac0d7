import { DescribeSecurityGroupRulesCommand, EC2Client, type SecurityGroupRule } from "@aws-sdk/client-ec2";
import { aws } from "../contract/aws-errors.js";
import { preconditionFailed } from "../contract/errors.js";
import type { TaskContext } from "../contract/task.js";
import { canonicalCidr } from "./network-acl-blocks.js";

/**
 * Security group rules as ec2.revoke-security-group-rule and ec2.restore-security-group-rule
 * compare them: one rule, one cidr, matched on every field so that neither task ever touches a
 * broader or a neighbouring rule.
 */
export interface Permission {
  readonly groupId: string;
  readonly direction: "ingress" | "egress";
  readonly protocol: string;
  readonly fromPort?: number | undefined;
  readonly toPort?: number | undefined;
  readonly cidr: string;
}

/** EC2 reports tcp/udp/icmp by name but accepts their numbers; CloudTrail may carry either. */
const PROTOCOL_NAMES: Readonly<Record<string, string>> = { "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6" };
const MAX_PAGES = 10;

export const protocolName = (protocol: string | undefined) => (protocol === undefined ? undefined : (PROTOCOL_NAMES[protocol] ?? protocol.toLowerCase()));
/** EC2 writes "all ports" (protocol -1, every ICMP type) as -1; the incident document leaves the port out. */
export const portOf = (port: number | undefined) => (port === undefined || port === -1 ? undefined : port);
export const ruleCidr = (rule: SecurityGroupRule) => (rule.CidrIpv4 ?? (rule.CidrIpv6 ? canonicalCidr(rule.CidrIpv6) : undefined));

export function matchesPermission(rule: SecurityGroupRule, permission: Permission): boolean {
  return (
    rule.GroupId === permission.groupId &&
    Boolean(rule.IsEgress) === (permission.direction === "egress") &&
    protocolName(rule.IpProtocol) === protocolName(permission.protocol) &&
    portOf(rule.FromPort) === portOf(permission.fromPort) &&
    portOf(rule.ToPort) === portOf(permission.toPort) &&
    ruleCidr(rule) !== undefined &&
    ruleCidr(rule) === canonicalCidr(permission.cidr)
  );
}

export function describePermission(p: Permission): string {
  const from = portOf(p.fromPort);
  const to = portOf(p.toPort);
  const ports = from === undefined && to === undefined ? "all ports" : from === to ? `port ${from}` : `ports ${from ?? "*"}-${to ?? "*"}`;
  return `${p.direction} ${p.protocol === "-1" ? "all protocols" : p.protocol} ${p.protocol === "-1" ? "" : `${ports} `}${p.direction === "ingress" ? "from" : "to"} ${p.cidr}`;
}

export function describeRule(rule: SecurityGroupRule): string {
  const target = ruleCidr(rule) ?? rule.PrefixListId ?? rule.ReferencedGroupInfo?.GroupId ?? "?";
  return describePermission({
    groupId: rule.GroupId ?? "",
    direction: rule.IsEgress ? "egress" : "ingress",
    protocol: protocolName(rule.IpProtocol) ?? "?",
    fromPort: rule.FromPort,
    toPort: rule.ToPort,
    cidr: target,
  });
}

export function tagMapOf(rule: SecurityGroupRule): Record<string, string> {
  return Object.fromEntries((rule.Tags ?? []).filter((t) => t.Key).map((t) => [t.Key!, t.Value ?? ""]));
}

/** Every rule of the group, every page; refuses rather than deciding on a partial list. */
export async function describeGroupRules(groupId: string, ctx: TaskContext): Promise<SecurityGroupRule[]> {
  const rules: SecurityGroupRule[] = [];
  let token: string | undefined;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const result = await aws(`DescribeSecurityGroupRules ${groupId}`, () =>
      ctx.aws(EC2Client).send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: "group-id", Values: [groupId] }], MaxResults: 1000, ...(token ? { NextToken: token } : {}) })),
    );
    rules.push(...(result.SecurityGroupRules ?? []));
    token = result.NextToken;
    if (!token) return rules;
  }
  throw preconditionFailed(`${groupId} has more than ${MAX_PAGES * 1000} rules`, "pagination");
}

/** Optional fields left out rather than undefined: records and undo inputs are JSON. */
export function compact<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
