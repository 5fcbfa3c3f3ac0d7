import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  type IpPermission,
  RevokeSecurityGroupIngressCommand,
  type SecurityGroupRule,
} from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import contract from "../../../functions/ec2/restore-security-group-rule.contract.js";
import task from "../../../functions/ec2/restore-security-group-rule.js";
import revokeContract from "../../../functions/ec2/revoke-security-group-rule.contract.js";
import revokeTask from "../../../functions/ec2/revoke-security-group-rule.js";
import { expectCallsDeclared } from "../../support/iam-coverage.js";
import { awsError, harness } from "../../support/task-harness.js";

const ec2 = mockClient(EC2Client);
const GROUP = "sg-0123456789abcdef0";
const OLD_ID = "sgr-00000000000005550";
const NEW_ID = "sgr-0000000000000aaa1";
const SSH = { groupId: GROUP, ruleId: OLD_ID, direction: "ingress", protocol: "tcp", fromPort: 22, toPort: 22, cidr: "203.0.113.0/24", description: "office ssh" };

/** A group whose Authorize adds a rule with a fresh id and refuses a duplicate, as EC2 does. */
function group(initial: SecurityGroupRule[] = []) {
  let rules = structuredClone(initial);
  let next = 0;
  ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [{ GroupId: GROUP, Tags: [] }] });
  ec2.on(DescribeSecurityGroupRulesCommand).callsFake(() => ({ SecurityGroupRules: structuredClone(rules) }));
  const authorize = (egress: boolean) => (input: { GroupId: string; IpPermissions: IpPermission[]; DryRun?: boolean }) => {
    if (input.DryRun) throw awsError("DryRunOperation", 412);
    const p = input.IpPermissions[0]!;
    const range = p.IpRanges?.[0] ?? p.Ipv6Ranges?.[0];
    const cidr = p.IpRanges?.[0]?.CidrIp ?? p.Ipv6Ranges?.[0]?.CidrIpv6;
    const same = (r: SecurityGroupRule) => r.IsEgress === egress && r.IpProtocol === p.IpProtocol && r.FromPort === (p.FromPort ?? -1) && r.ToPort === (p.ToPort ?? -1) && (r.CidrIpv4 ?? r.CidrIpv6) === cidr;
    if (rules.some(same)) throw awsError("InvalidPermission.Duplicate");
    const created: SecurityGroupRule = {
      SecurityGroupRuleId: next++ === 0 ? NEW_ID : `sgr-0000000000000aaa${next}`,
      GroupId: input.GroupId,
      IsEgress: egress,
      IpProtocol: p.IpProtocol,
      FromPort: p.FromPort ?? -1,
      ToPort: p.ToPort ?? -1,
      ...(p.IpRanges ? { CidrIpv4: cidr } : { CidrIpv6: cidr }),
      ...(range?.Description ? { Description: range.Description } : {}),
    };
    rules = [...rules, created];
    return { Return: true, SecurityGroupRules: [created] };
  };
  ec2.on(AuthorizeSecurityGroupIngressCommand).callsFake(authorize(false));
  ec2.on(AuthorizeSecurityGroupEgressCommand).callsFake(authorize(true));
  ec2.on(RevokeSecurityGroupIngressCommand).callsFake((input: { SecurityGroupRuleIds: string[]; DryRun?: boolean }) => {
    if (input.DryRun) throw awsError("DryRunOperation", 412);
    rules = rules.filter((r) => !input.SecurityGroupRuleIds.includes(r.SecurityGroupRuleId!));
    return { Return: true };
  });
  return { rules: () => rules };
}

const authorizes = () => [...ec2.commandCalls(AuthorizeSecurityGroupIngressCommand), ...ec2.commandCalls(AuthorizeSecurityGroupEgressCommand)].filter((c) => !c.args[0].input.DryRun);

describe("ec2.restore-security-group-rule", () => {
  beforeEach(() => ec2.reset());
  afterEach(() => expectCallsDeclared(contract, { EC2Client: ec2 }));

  it("plans the re-authorization with DryRun, authorizing nothing", async () => {
    group();
    const plan = await harness(task).plan(SSH);
    expect(plan.changes).toBe(1);
    expect(ec2.commandCalls(AuthorizeSecurityGroupIngressCommand).map((c) => c.args[0].input)).toEqual([
      { GroupId: GROUP, IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "203.0.113.0/24", Description: "office ssh" }] }], DryRun: true },
    ]);
    expect(authorizes()).toHaveLength(0);
  });

  it("re-authorizes exactly that permission with its description, and records the new rule id and its undo", async () => {
    const g = group();
    const h = harness(task);
    const output = await h.run(SSH);
    expect(output).toEqual({ groupId: GROUP, ruleId: NEW_ID, direction: "ingress", protocol: "tcp", fromPort: 22, toPort: 22, cidr: "203.0.113.0/24" });
    expect(authorizes().map((c) => c.args[0].input)).toEqual([
      { GroupId: GROUP, IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "203.0.113.0/24", Description: "office ssh" }] }] },
    ]);
    expect(g.rules()).toHaveLength(1);
    const record = h.journal.all().find((r) => r.mode === "run")!;
    expect(record.changes).toEqual([{ resource: GROUP, action: `AuthorizeSecurityGroupIngress ${NEW_ID}`, before: null, after: { ...SSH, ruleId: NEW_ID } }]);
    expect(record.undo).toEqual({ task: "ec2.revoke-security-group-rule", input: { groupId: GROUP, ruleId: NEW_ID, direction: "ingress", protocol: "tcp", fromPort: 22, toPort: 22, cidr: "203.0.113.0/24" } });
  });

  it("restores an all-traffic IPv6 egress rule without ports", async () => {
    group();
    await harness(task).run({ groupId: GROUP, direction: "egress", protocol: "-1", cidr: "::/0" });
    expect(ec2.commandCalls(AuthorizeSecurityGroupEgressCommand).map((c) => c.args[0].input)).toEqual([{ GroupId: GROUP, IpPermissions: [{ IpProtocol: "-1", Ipv6Ranges: [{ CidrIpv6: "::/0" }] }] }]);
    expect(ec2.commandCalls(AuthorizeSecurityGroupIngressCommand)).toHaveLength(0);
  });

  it("changes nothing when the rule is already there, and says so (noting a different description)", async () => {
    group([{ SecurityGroupRuleId: "sgr-0000000000000bbb1", GroupId: GROUP, IsEgress: false, IpProtocol: "tcp", FromPort: 22, ToPort: 22, CidrIpv4: "203.0.113.0/24", Description: "someone else's words" }]);
    const h = harness(task);
    const output = await h.run(SSH);
    expect(output.ruleId).toBe("sgr-0000000000000bbb1");
    expect(ec2.commandCalls(AuthorizeSecurityGroupIngressCommand)).toHaveLength(0);
    const record = h.journal.all()[0]!;
    expect(record.changes).toEqual([]);
    expect(record.undo).toBeUndefined();
    expect(record.summary).toMatch(/already in sg-.*someone else's words.*nothing changed/);
  });

  it("runs once per step; a later step finds the rule restored and changes nothing", async () => {
    group();
    const h = harness(task);
    const first = await h.run(SSH);
    const calls = ec2.calls().length;
    expect(await h.run(SSH)).toEqual(first);
    expect(ec2.calls()).toHaveLength(calls);
    expect(await h.run(SSH, { stepId: "recover/restore-again" })).toEqual(first);
    expect(authorizes()).toHaveLength(1);
  });

  it("converges when a concurrent restore authorized the rule first", async () => {
    const g = group();
    ec2.on(AuthorizeSecurityGroupIngressCommand).callsFakeOnce(() => {
      g.rules().push({ SecurityGroupRuleId: "sgr-0000000000000ccc1", GroupId: GROUP, IsEgress: false, IpProtocol: "tcp", FromPort: 22, ToPort: 22, CidrIpv4: "203.0.113.0/24" });
      throw awsError("InvalidPermission.Duplicate");
    });
    const h = harness(task);
    await expect(h.run(SSH)).resolves.toMatchObject({ ruleId: "sgr-0000000000000ccc1" });
    expect(h.journal.all()[0]!.changes).toEqual([]);
  });

  it("maps throttling to Transient", async () => {
    group();
    ec2.on(DescribeSecurityGroupRulesCommand).rejects(awsError("RequestLimitExceeded", 503));
    await expect(harness(task).run(SSH)).rejects.toMatchObject({ name: "Transient" });
  });

  it("reports a missing group as NotFound with its id", async () => {
    ec2.on(DescribeSecurityGroupRulesCommand).resolves({ SecurityGroupRules: [] });
    ec2.on(AuthorizeSecurityGroupIngressCommand).rejects(awsError("InvalidGroup.NotFound", 400, `The security group '${GROUP}' does not exist`));
    await expect(harness(task).run(SSH)).rejects.toMatchObject({ name: "NotFound", message: expect.stringContaining(GROUP) });
    await expect(harness(task).plan(SSH)).rejects.toMatchObject({ name: "NotFound", message: expect.stringContaining(GROUP) });
  });

  it("refuses bad or incomplete input before any AWS call", async () => {
    const h = harness(task);
    await expect(h.run({ ...SSH, fromPort: undefined, toPort: undefined })).rejects.toMatchObject({ name: "InvalidInput", message: expect.stringContaining("fromPort") });
    await expect(h.run({ ...SSH, cidr: "203.0.113.0/33" })).rejects.toMatchObject({ name: "InvalidInput" });
    await expect(h.run({ ...SSH, description: "x".repeat(256) })).rejects.toMatchObject({ name: "InvalidInput" });
    await expect(h.run({ ...SSH, groupId: "sg-0123456789abcdef0' OR '1'='1" })).rejects.toMatchObject({ name: "InvalidInput" });
    expect(ec2.calls()).toHaveLength(0);
  });

  it("puts back exactly what ec2.revoke-security-group-rule recorded", async () => {
    const original: SecurityGroupRule = { SecurityGroupRuleId: OLD_ID, GroupId: GROUP, IsEgress: false, IpProtocol: "tcp", FromPort: 22, ToPort: 22, CidrIpv4: "203.0.113.0/24", Description: "office ssh" };
    const g = group([original]);
    const revoke = harness(revokeTask);
    await revoke.run({ groupId: GROUP, direction: "ingress", protocol: "tcp", fromPort: 22, toPort: 22, cidr: "203.0.113.0/24" });
    expectCallsDeclared(revokeContract, { EC2Client: ec2 });
    expect(g.rules()).toEqual([]);
    const undo = revoke.journal.all().find((r) => r.mode === "run")!.undo!;
    expect(undo.task).toBe(contract.name);
    ec2.resetHistory();
    await harness(task).run(undo.input);
    expect(g.rules()).toEqual([{ ...original, SecurityGroupRuleId: NEW_ID }]);
  });
});
