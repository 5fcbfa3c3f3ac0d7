import {
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  type SecurityGroupRule,
} from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import contract from "../../../functions/ec2/revoke-security-group-rule.contract.js";
import task from "../../../functions/ec2/revoke-security-group-rule.js";
import { expectCallsDeclared } from "../../support/iam-coverage.js";
import { awsError, harness } from "../../support/task-harness.js";

const ec2 = mockClient(EC2Client);
const GROUP = "sg-0123456789abcdef0";
const SSH = "sgr-0000000000000ssh0".replace("ssh", "555");
const ALL_TCP = "sgr-00000000000000a11";
const SSH_TO_25 = "sgr-00000000000000225";
const SSH_PRIVATE = "sgr-0000000000000010a";
const ALL_TRAFFIC = "sgr-000000000000000ff";
const EGRESS = "sgr-000000000000000e0";
const ALL_IN_V4 = "sgr-000000000000000f4";

const rule = (id: string, fields: Partial<SecurityGroupRule>): SecurityGroupRule => ({ SecurityGroupRuleId: id, GroupId: GROUP, IsEgress: false, ...fields });

/** The group: the world-open SSH rule that was added, and neighbours that must survive it. */
function initialRules(): SecurityGroupRule[] {
  return [
    rule(ALL_TCP, { IpProtocol: "tcp", FromPort: 0, ToPort: 65535, CidrIpv4: "0.0.0.0/0" }),
    rule(SSH_PRIVATE, { IpProtocol: "tcp", FromPort: 22, ToPort: 22, CidrIpv4: "10.0.0.0/8" }),
    rule(SSH_TO_25, { IpProtocol: "tcp", FromPort: 22, ToPort: 25, CidrIpv4: "0.0.0.0/0" }),
    rule(SSH, { IpProtocol: "tcp", FromPort: 22, ToPort: 22, CidrIpv4: "0.0.0.0/0", Description: "debugging, remove later", Tags: [{ Key: "owner", Value: "bob" }] }),
    rule(ALL_TRAFFIC, { IpProtocol: "-1", FromPort: -1, ToPort: -1, CidrIpv6: "::/0" }),
    rule(ALL_IN_V4, { IpProtocol: "-1", FromPort: -1, ToPort: -1, CidrIpv4: "0.0.0.0/0" }),
    rule(EGRESS, { IsEgress: true, IpProtocol: "-1", FromPort: -1, ToPort: -1, CidrIpv4: "0.0.0.0/0" }),
  ];
}

const SSH_PERMISSION = { groupId: GROUP, direction: "ingress", protocol: "tcp", fromPort: 22, toPort: 22, cidr: "0.0.0.0/0" };
const SSH_REVOKED = { groupId: GROUP, ruleId: SSH, direction: "ingress", protocol: "tcp", fromPort: 22, toPort: 22, cidr: "0.0.0.0/0", description: "debugging, remove later" };

/** A group whose rules go away when revoked by id, as EC2's do. */
function group(tags: Record<string, string> = {}) {
  let rules = initialRules();
  ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [{ GroupId: GROUP, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }] });
  ec2.on(DescribeSecurityGroupRulesCommand).callsFake(() => ({ SecurityGroupRules: structuredClone(rules) }));
  const revoke = (input: { SecurityGroupRuleIds?: string[]; DryRun?: boolean }) => {
    if (input.DryRun) throw awsError("DryRunOperation", 412);
    const ids = input.SecurityGroupRuleIds ?? [];
    if (!ids.every((id) => rules.some((r) => r.SecurityGroupRuleId === id))) throw awsError("InvalidSecurityGroupRuleId.NotFound");
    rules = rules.filter((r) => !ids.includes(r.SecurityGroupRuleId!));
    return { Return: true };
  };
  ec2.on(RevokeSecurityGroupIngressCommand).callsFake(revoke);
  ec2.on(RevokeSecurityGroupEgressCommand).callsFake(revoke);
  return { rules: () => rules.map((r) => r.SecurityGroupRuleId) };
}

const revokes = () => [...ec2.commandCalls(RevokeSecurityGroupIngressCommand), ...ec2.commandCalls(RevokeSecurityGroupEgressCommand)].filter((c) => !c.args[0].input.DryRun);

describe("ec2.revoke-security-group-rule", () => {
  beforeEach(() => ec2.reset());
  afterEach(() => expectCallsDeclared(contract, { EC2Client: ec2 }));

  it("plans the revoke of the one matching rule with DryRun, revoking nothing", async () => {
    group();
    const plan = await harness(task).plan({ ...SSH_PERMISSION, ruleId: SSH });
    expect(plan.changes).toBe(1);
    expect(plan.summary).toContain(SSH);
    expect(ec2.commandCalls(RevokeSecurityGroupIngressCommand).map((c) => c.args[0].input)).toEqual([{ GroupId: GROUP, SecurityGroupRuleIds: [SSH], DryRun: true }]);
    expect(revokes()).toHaveLength(0);
  });

  it("revokes exactly the rule named by id, and records it in full for restore", async () => {
    const g = group();
    const h = harness(task);
    const output = await h.run({ ...SSH_PERMISSION, ruleId: SSH });
    expect(output).toEqual(SSH_REVOKED);
    expect(revokes().map((c) => c.args[0].input)).toEqual([{ GroupId: GROUP, SecurityGroupRuleIds: [SSH] }]);
    expect(g.rules()).toEqual([ALL_TCP, SSH_PRIVATE, SSH_TO_25, ALL_TRAFFIC, ALL_IN_V4, EGRESS]);
    const record = h.journal.all().find((r) => r.mode === "run")!;
    expect(record.changes).toEqual([{ resource: GROUP, action: `RevokeSecurityGroupIngress ${SSH}`, before: { ...SSH_REVOKED, tags: { owner: "bob" } }, after: null }]);
    expect(record.undo).toEqual({ task: "ec2.restore-security-group-rule", input: SSH_REVOKED });
  });

  it("without an id, revokes only the exact permission: never a broader range, a wider port range or a narrower cidr", async () => {
    const g = group();
    await expect(harness(task).run(SSH_PERMISSION)).resolves.toEqual(SSH_REVOKED);
    expect(revokes().map((c) => c.args[0].input.SecurityGroupRuleIds)).toEqual([[SSH]]);
    expect(g.rules()).toContain(ALL_TCP);
    expect(g.rules()).toContain(SSH_PRIVATE);
    expect(g.rules()).toContain(SSH_TO_25);
    expect(ec2.commandCalls(DescribeSecurityGroupRulesCommand)[0]!.args[0].input.Filters).toEqual([{ Name: "group-id", Values: [GROUP] }]);
  });

  it("matches an all-traffic rule, which has no ports, and an IPv6 range however it is written", async () => {
    group();
    const output = await harness(task).run({ groupId: GROUP, direction: "ingress", protocol: "-1", cidr: "0:0::/0" });
    // The executor fills absent output fields with null for the state machine.
    expect(output).toEqual({ groupId: GROUP, ruleId: ALL_TRAFFIC, direction: "ingress", protocol: "-1", fromPort: null, toPort: null, cidr: "::/0", description: null });
    expect(revokes().map((c) => c.args[0].input.SecurityGroupRuleIds)).toEqual([[ALL_TRAFFIC]]);
  });

  it("revokes an egress rule through RevokeSecurityGroupEgress, never the same permission inbound", async () => {
    group();
    await harness(task).run({ groupId: GROUP, direction: "egress", protocol: "-1", cidr: "0.0.0.0/0" });
    expect(ec2.commandCalls(RevokeSecurityGroupEgressCommand).map((c) => c.args[0].input)).toEqual([{ GroupId: GROUP, SecurityGroupRuleIds: [EGRESS] }]);
    expect(ec2.commandCalls(RevokeSecurityGroupIngressCommand)).toHaveLength(0);
  });

  it("refuses a rule id that now names a different permission", async () => {
    group();
    await expect(harness(task).run({ ...SSH_PERMISSION, ruleId: ALL_TCP })).rejects.toMatchObject({ name: "PreconditionFailed", message: expect.stringContaining(ALL_TCP) });
    expect(revokes()).toHaveLength(0);
  });

  it("runs once per step; a later step for the same rule id finds it gone and says so", async () => {
    group();
    const h = harness(task);
    const first = await h.run({ ...SSH_PERMISSION, ruleId: SSH });
    const calls = ec2.calls().length;
    expect(await h.run({ ...SSH_PERMISSION, ruleId: SSH })).toEqual(first);
    expect(ec2.calls()).toHaveLength(calls);
    const again = await h.run({ ...SSH_PERMISSION, ruleId: SSH }, { stepId: "contain/revoke-again" });
    expect(again).toEqual({ ...SSH_PERMISSION, ruleId: SSH, description: null });
    expect(revokes()).toHaveLength(1);
    const record = h.journal.all().find((r) => r.mode === "run" && r.changes.length === 0)!;
    expect(record.summary).toMatch(/already gone/);
    expect(record.undo).toBeUndefined();
  });

  it("reports a permission that matches no rule as NotFound rather than pretending it revoked it", async () => {
    group();
    await harness(task).run(SSH_PERMISSION);
    await expect(harness(task).run(SSH_PERMISSION, { stepId: "contain/revoke-again" })).rejects.toMatchObject({ name: "NotFound", message: expect.stringContaining(GROUP) });
    expect(revokes()).toHaveLength(1);
  });

  it("maps throttling to Transient", async () => {
    group();
    ec2.on(DescribeSecurityGroupRulesCommand).rejects(awsError("RequestLimitExceeded", 503));
    await expect(harness(task).run(SSH_PERMISSION)).rejects.toMatchObject({ name: "Transient" });
  });

  it("reports a missing group as NotFound with its id", async () => {
    ec2.on(DescribeSecurityGroupsCommand).rejects(awsError("InvalidGroup.NotFound", 400, `The security group '${GROUP}' does not exist`));
    await expect(harness(task).run(SSH_PERMISSION)).rejects.toMatchObject({ name: "NotFound", message: expect.stringContaining(GROUP) });
    expect(revokes()).toHaveLength(0);
  });

  it("refuses bad input before any AWS call", async () => {
    const h = harness(task);
    await expect(h.run({ ...SSH_PERMISSION, groupId: "sg-123; rm -rf /" })).rejects.toMatchObject({ name: "InvalidInput" });
    await expect(h.run({ ...SSH_PERMISSION, fromPort: 70000 })).rejects.toMatchObject({ name: "InvalidInput" });
    await expect(h.run({ ...SSH_PERMISSION, cidr: "0.0.0.0" })).rejects.toMatchObject({ name: "InvalidInput" });
    await expect(h.run({ ...SSH_PERMISSION, protocol: "gre" })).rejects.toMatchObject({ name: "InvalidInput" });
    expect(ec2.calls()).toHaveLength(0);
  });

  it("refuses a group tagged exempt unless the step allows it", async () => {
    group({ "irflow:exempt": "true" });
    await expect(harness(task).run(SSH_PERMISSION)).rejects.toMatchObject({ name: "PreconditionFailed", detail: "exempt" });
    await expect(harness(task).plan(SSH_PERMISSION)).rejects.toMatchObject({ name: "PreconditionFailed", detail: "exempt" });
    expect(revokes()).toHaveLength(0);
    await expect(harness(task).run(SSH_PERMISSION, { allowExempt: true })).resolves.toMatchObject({ ruleId: SSH });
  });
});
