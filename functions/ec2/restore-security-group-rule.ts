import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  EC2Client,
  type IpPermission,
  type SecurityGroupRule,
} from "@aws-sdk/client-ec2";
import type * as z from "zod";
import { aws, dryRun } from "../contract/aws-errors.js";
import { invalidInput, isTaskError, preconditionFailed } from "../contract/errors.js";
import { implementTask, type TaskContext } from "../contract/task.js";
import contract from "./restore-security-group-rule.contract.js";
import { isIpv6 } from "./network-acl-blocks.js";
import { compact, describeGroupRules, describePermission, matchesPermission } from "./security-group-rules.js";

type Input = z.output<typeof contract.input>;
type Output = z.input<typeof contract.output>;

function assertComplete(input: Input): void {
  if ((input.protocol === "tcp" || input.protocol === "udp") && (input.fromPort === undefined || input.toPort === undefined)) {
    throw invalidInput(`a ${input.protocol} rule needs fromPort and toPort; restoring it without would open every port`, "fromPort");
  }
}

async function present(input: Input, ctx: TaskContext): Promise<SecurityGroupRule | undefined> {
  return (await describeGroupRules(input.groupId, ctx)).find((rule) => matchesPermission(rule, input));
}

/** Exactly the revoked permission: one range, its ports, its description. */
function permission(input: Input): IpPermission {
  const ports = input.protocol === "-1" ? {} : { FromPort: input.fromPort ?? -1, ToPort: input.toPort ?? -1 };
  const description = input.description ? { Description: input.description } : {};
  const range = isIpv6(input.cidr) ? { Ipv6Ranges: [{ CidrIpv6: input.cidr, ...description }] } : { IpRanges: [{ CidrIp: input.cidr, ...description }] };
  return { IpProtocol: input.protocol, ...ports, ...range };
}

const actionOf = (input: Input) => (input.direction === "egress" ? "AuthorizeSecurityGroupEgress" : "AuthorizeSecurityGroupIngress");

async function sendAuthorize(input: Input, dry: boolean, ctx: TaskContext): Promise<{ SecurityGroupRules?: SecurityGroupRule[] | undefined }> {
  const request = { GroupId: input.groupId, IpPermissions: [permission(input)], ...(dry ? { DryRun: true } : {}) };
  const ec2 = ctx.aws(EC2Client);
  return input.direction === "egress" ? ec2.send(new AuthorizeSecurityGroupEgressCommand(request)) : ec2.send(new AuthorizeSecurityGroupIngressCommand(request));
}

/** Authorizes, or finds the rule that a concurrent restore (or a person) authorized first. */
async function authorize(input: Input, ctx: TaskContext): Promise<{ ruleId: string; created: boolean }> {
  try {
    const result = await aws(`${actionOf(input)} ${input.groupId}`, () => sendAuthorize(input, false, ctx));
    const created = result.SecurityGroupRules?.find((rule) => matchesPermission(rule, input)) ?? result.SecurityGroupRules?.[0];
    const ruleId = created?.SecurityGroupRuleId ?? (await present(input, ctx))?.SecurityGroupRuleId;
    if (!ruleId) throw preconditionFailed(`EC2 accepted ${describePermission(input)} on ${input.groupId} but shows no such rule`, input.groupId);
    return { ruleId, created: true };
  } catch (error) {
    if (!(isTaskError(error) && error.detail === "InvalidPermission.Duplicate")) throw error;
    const rule = await present(input, ctx);
    if (!rule?.SecurityGroupRuleId) throw error;
    return { ruleId: rule.SecurityGroupRuleId, created: false };
  }
}

function outputOf(input: Input, ruleId: string): Output {
  const { groupId, direction, protocol, fromPort, toPort, cidr } = input;
  return compact({ groupId, ruleId, direction, protocol, fromPort, toPort, cidr });
}

function alreadyThere(input: Input, rule: SecurityGroupRule): string {
  const note = (rule.Description ?? "") === (input.description ?? "") ? "" : ` (its description is "${rule.Description ?? ""}", not "${input.description ?? ""}"; left as it is)`;
  return `"${describePermission(input)}" is already in ${input.groupId} as ${rule.SecurityGroupRuleId}${note}; nothing changed`;
}

export default implementTask(contract, {
  async plan(input, ctx) {
    assertComplete(input);
    const existing = await present(input, ctx);
    if (existing) return { changes: [], summary: alreadyThere(input, existing) };
    await dryRun(`${actionOf(input)} ${input.groupId}`, () => sendAuthorize(input, true, ctx));
    return {
      changes: [{ resource: input.groupId, action: actionOf(input), before: null, after: compact({ ...input, ruleId: undefined }) }],
      summary: `re-authorize "${describePermission(input)}"${input.description ? ` ("${input.description}")` : ""} in ${input.groupId}`,
    };
  },

  async run(input, ctx) {
    assertComplete(input);
    // Restoring a rule irflow revoked puts the owner's group back as it was; the exempt guard
    // protects owners' resources from irflow's changes, not from the undo of one.
    const existing = await present(input, ctx);
    if (existing?.SecurityGroupRuleId) return { output: outputOf(input, existing.SecurityGroupRuleId), changes: [], summary: alreadyThere(input, existing) };
    const { ruleId, created } = await authorize(input, ctx);
    const output = outputOf(input, ruleId);
    if (!created) return { output, changes: [], summary: `"${describePermission(input)}" was authorized in ${input.groupId} meanwhile, as ${ruleId}; nothing changed` };
    return {
      output,
      changes: [{ resource: input.groupId, action: `${actionOf(input)} ${ruleId}`, before: null, after: compact({ ...input, ruleId }) }],
      undo: { task: "ec2.revoke-security-group-rule", input: output },
      summary: `re-authorized "${describePermission(input)}"${input.description ? ` ("${input.description}")` : ""} in ${input.groupId} as ${ruleId}`,
    };
  },
});
