import {
  DescribeSecurityGroupsCommand,
  EC2Client,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  type SecurityGroupRule,
} from "@aws-sdk/client-ec2";
import type * as z from "zod";
import { aws, dryRun } from "../contract/aws-errors.js";
import { notFound, preconditionFailed } from "../contract/errors.js";
import { assertNotExempt } from "../contract/guards.js";
import { implementTask, type TaskContext } from "../contract/task.js";
import contract, { type RevokedRule } from "./revoke-security-group-rule.contract.js";
import { compact, describeGroupRules, describePermission, describeRule, matchesPermission, portOf, protocolName, ruleCidr, tagMapOf } from "./security-group-rules.js";

type Input = z.output<typeof contract.input>;
type Revoked = z.input<typeof RevokedRule>;

async function assertGroupNotExempt(groupId: string, ctx: TaskContext): Promise<void> {
  const result = await aws(`DescribeSecurityGroups ${groupId}`, () => ctx.aws(EC2Client).send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] })));
  const group = result.SecurityGroups?.[0];
  if (!group) throw notFound(`security group ${groupId} does not exist`, groupId);
  assertNotExempt(groupId, group.Tags, ctx);
}

/**
 * The one rule to revoke, or undefined when the rule named by id is already gone. A rule id is
 * trusted only while it still is the reported permission; without an id, only an exact match.
 */
async function findRule(input: Input, ctx: TaskContext): Promise<SecurityGroupRule | undefined> {
  await assertGroupNotExempt(input.groupId, ctx);
  const rules = await describeGroupRules(input.groupId, ctx);
  if (input.ruleId) {
    const rule = rules.find((r) => r.SecurityGroupRuleId === input.ruleId);
    if (rule && !matchesPermission(rule, input)) {
      throw preconditionFailed(`${input.ruleId} in ${input.groupId} is now "${describeRule(rule)}", not the reported "${describePermission(input)}"; irflow will not revoke a different rule`, input.ruleId);
    }
    return rule;
  }
  const rule = rules.find((r) => matchesPermission(r, input));
  // Without an id there is no rule to name as revoked: saying "done" would hide that someone else (or nobody) removed it.
  if (!rule) throw notFound(`${input.groupId} has no rule "${describePermission(input)}": already revoked, or it never matched exactly`, input.groupId);
  return rule;
}

function revokedRule(rule: SecurityGroupRule): Revoked {
  return compact({
    groupId: rule.GroupId!,
    ruleId: rule.SecurityGroupRuleId!,
    direction: rule.IsEgress ? ("egress" as const) : ("ingress" as const),
    protocol: protocolName(rule.IpProtocol) as Revoked["protocol"],
    fromPort: portOf(rule.FromPort),
    toPort: portOf(rule.ToPort),
    cidr: ruleCidr(rule)!,
    description: rule.Description || undefined,
  });
}

async function sendRevoke(rule: Revoked, dry: boolean, ctx: TaskContext): Promise<{ Return?: boolean | undefined }> {
  const input = { GroupId: rule.groupId, SecurityGroupRuleIds: [rule.ruleId], ...(dry ? { DryRun: true } : {}) };
  const ec2 = ctx.aws(EC2Client);
  return rule.direction === "egress" ? ec2.send(new RevokeSecurityGroupEgressCommand(input)) : ec2.send(new RevokeSecurityGroupIngressCommand(input));
}

const actionOf = (rule: Revoked) => `${rule.direction === "egress" ? "RevokeSecurityGroupEgress" : "RevokeSecurityGroupIngress"} ${rule.ruleId}`;

export default implementTask(contract, {
  async plan(input, ctx) {
    const rule = await findRule(input, ctx);
    if (!rule) return { changes: [], summary: `${input.ruleId} is already gone from ${input.groupId}` };
    const revoked = revokedRule(rule);
    await dryRun(`${actionOf(revoked)} ${input.groupId}`, () => sendRevoke(revoked, true, ctx));
    return {
      changes: [{ resource: input.groupId, action: actionOf(revoked), before: { ...revoked, tags: tagMapOf(rule) }, after: null }],
      summary: `revoke "${describeRule(rule)}" (${revoked.ruleId}) from ${input.groupId}`,
    };
  },

  async run(input, ctx) {
    const rule = await findRule(input, ctx);
    if (!rule) {
      const { groupId, direction, protocol, fromPort, toPort, cidr } = input;
      return {
        output: compact({ groupId, ruleId: input.ruleId!, direction, protocol, fromPort, toPort, cidr }),
        changes: [],
        summary: `${input.ruleId} is already gone from ${groupId}; nothing changed`,
      };
    }
    const revoked = revokedRule(rule);
    // Revoking by rule id, once the rule is matched: EC2 answers a revoke by permission that matches
    // nothing with success, and an id can only ever remove this one rule.
    const result = await aws(`${actionOf(revoked)} ${input.groupId}`, () => sendRevoke(revoked, false, ctx));
    if (result.Return === false) throw preconditionFailed(`EC2 did not revoke ${revoked.ruleId} from ${input.groupId}`, revoked.ruleId);
    return {
      output: revoked,
      changes: [{ resource: input.groupId, action: actionOf(revoked), before: { ...revoked, tags: tagMapOf(rule) }, after: null }],
      undo: { task: "ec2.restore-security-group-rule", input: revoked },
      summary: `revoked "${describeRule(rule)}" (${revoked.ruleId}${revoked.description ? `, "${revoked.description}"` : ""}) from ${input.groupId}`,
    };
  },
});
