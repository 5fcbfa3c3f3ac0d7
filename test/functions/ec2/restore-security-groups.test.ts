import {
  DeleteTagsCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  ModifyNetworkInterfaceAttributeCommand,
  type DescribeSecurityGroupsCommandInput,
  type SecurityGroup,
} from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import contract from "../../../functions/ec2/restore-security-groups.contract.js";
import task from "../../../functions/ec2/restore-security-groups.js";
import { expectCallsDeclared } from "../../support/iam-coverage.js";
import { awsError, harness } from "../../support/task-harness.js";
import { described, ENI, ENI_2, INSTANCE, instance, OTHER_VPC, SG_ADMIN, SG_DB, SG_QUARANTINE, SG_WEB, VPC, type InstanceSpec } from "./instance-fixtures.js";

const ec2 = mockClient(EC2Client);
const ENI_3 = "eni-0123456789abcdef3";
const SG_ELSEWHERE = "sg-0dddddddddddddd00";
const groups: Record<string, SecurityGroup> = {
  ...Object.fromEntries([SG_WEB, SG_DB, SG_ADMIN, SG_QUARANTINE].map((id) => [id, { GroupId: id, VpcId: VPC }])),
  [SG_ELSEWHERE]: { GroupId: SG_ELSEWHERE, VpcId: OTHER_VPC },
};
const isolated: InstanceSpec = {
  interfaces: [{ id: ENI, groups: [SG_QUARANTINE] }],
  tags: { Name: "web-1", "irflow:isolated-from": `${ENI}=${SG_WEB}+${SG_DB}`, "irflow:isolated-by": "inc-20261124-0001abcd" },
};

function world(spec: InstanceSpec = isolated) {
  ec2.on(DescribeInstancesCommand).resolves(described(instance(spec)));
  ec2.on(DescribeSecurityGroupsCommand).callsFake((input: DescribeSecurityGroupsCommandInput) => {
    const missing = (input.GroupIds ?? []).find((id) => !groups[id]);
    if (missing) throw awsError("InvalidGroup.NotFound", 400, `The security group '${missing}' does not exist`);
    return { SecurityGroups: (input.GroupIds ?? []).map((id) => groups[id]) };
  });
  for (const command of [ModifyNetworkInterfaceAttributeCommand, DeleteTagsCommand] as const) {
    ec2.on(command as typeof DeleteTagsCommand).callsFake((input: { DryRun?: boolean }) => {
      if (input.DryRun) throw awsError("DryRunOperation", 412);
      return {};
    });
  }
}

const moves = () => ec2.commandCalls(ModifyNetworkInterfaceAttributeCommand).filter((c) => !c.args[0].input.DryRun).map((c) => [c.args[0].input.NetworkInterfaceId, c.args[0].input.Groups]);
const mutations = () => moves().length + ec2.commandCalls(DeleteTagsCommand).filter((c) => !c.args[0].input.DryRun).length;

describe("ec2.restore-security-groups", () => {
  beforeEach(() => ec2.reset());
  afterEach(() => expectCallsDeclared(contract, { EC2Client: ec2 }));

  it("plans the group change and the tag removal with a DryRun, changing nothing", async () => {
    world();
    const h = harness(task);
    await expect(h.plan({ instanceId: INSTANCE, groupIds: [SG_WEB, SG_DB] })).resolves.toMatchObject({ changes: 2 });
    expect(ec2.commandCalls(ModifyNetworkInterfaceAttributeCommand).map((c) => c.args[0].input)).toEqual([{ NetworkInterfaceId: ENI, Groups: [SG_WEB, SG_DB], DryRun: true }]);
    expect(ec2.commandCalls(DescribeSecurityGroupsCommand)[0]!.args[0].input).toEqual({ GroupIds: [SG_WEB, SG_DB] });
    expect(mutations()).toBe(0);
  });

  it("puts the interface back in its groups, then removes the isolation tags; the undo isolates again", async () => {
    world();
    const h = harness(task);
    const output = await h.run({ instanceId: INSTANCE, groupIds: [SG_WEB, SG_DB] });
    expect(output).toEqual({ instanceId: INSTANCE, groupIds: [SG_WEB, SG_DB], replacedGroupIds: [SG_QUARANTINE] });
    expect(moves()).toEqual([[ENI, [SG_WEB, SG_DB]]]);
    expect(ec2.commandCalls(DeleteTagsCommand)[0]!.args[0].input).toEqual({ Resources: [INSTANCE], Tags: [{ Key: "irflow:isolated-from" }, { Key: "irflow:isolated-by" }] });
    const order = ec2.calls().map((c) => (c.args[0] as object).constructor.name);
    expect(order.indexOf("DeleteTagsCommand")).toBeGreaterThan(order.lastIndexOf("ModifyNetworkInterfaceAttributeCommand"));
    const [record] = h.journal.all();
    expect(record!.changes).toEqual([
      { resource: ENI, action: "ModifyNetworkInterfaceAttribute groups", before: [SG_QUARANTINE], after: [SG_WEB, SG_DB] },
      { resource: INSTANCE, action: "DeleteTags irflow:isolated-from", before: { "irflow:isolated-from": `${ENI}=${SG_WEB}+${SG_DB}`, "irflow:isolated-by": "inc-20261124-0001abcd" }, after: null },
    ]);
    expect(record!.undo).toEqual({ task: "ec2.isolate-instance", input: { instanceId: INSTANCE } });
  });

  it("restores every interface: from isolation's undo, else from the tag; one with no record stays as it is", async () => {
    world({
      interfaces: [
        { id: ENI, groups: [SG_QUARANTINE] },
        { id: ENI_2, groups: [SG_QUARANTINE] },
        { id: ENI_3, groups: [SG_QUARANTINE] },
      ],
      tags: { "irflow:isolated-from": `${ENI}=${SG_WEB}/${ENI_2}=${SG_DB}+${SG_ADMIN}/${ENI_3}=${SG_ADMIN}` },
    });
    await harness(task).run({ instanceId: INSTANCE, groupIds: [SG_WEB], interfaceGroups: { [ENI_2]: [SG_DB] } });
    expect(moves()).toEqual([
      [ENI, [SG_WEB]],
      [ENI_2, [SG_DB]],
      [ENI_3, [SG_ADMIN]],
    ]);
    ec2.reset();
    world({ interfaces: [{ id: ENI, groups: [SG_QUARANTINE] }, { id: ENI_2, groups: [SG_QUARANTINE] }] });
    await harness(task).run({ instanceId: INSTANCE, groupIds: [SG_WEB] });
    expect(moves()).toEqual([[ENI, [SG_WEB]]]);
  });

  it("restores the primary interface to the groups asked for even when the tag says otherwise", async () => {
    world({ interfaces: [{ id: ENI, groups: [SG_QUARANTINE] }], tags: { "irflow:isolated-from": `${ENI}=${SG_ADMIN}` } });
    const h = harness(task);
    await h.run({ instanceId: INSTANCE, groupIds: [SG_WEB] });
    expect(moves()).toEqual([[ENI, [SG_WEB]]]);
    expect(h.logs.some((l) => l.level === "warn" && l.message.includes("disagrees"))).toBe(true);
  });

  it("reports groups that no longer exist, or live in another VPC, as NotFound and changes nothing", async () => {
    world();
    await expect(harness(task).run({ instanceId: INSTANCE, groupIds: [SG_WEB, "sg-0eeeeeeeeeeeeeee0"] })).rejects.toMatchObject({ name: "NotFound", message: expect.stringContaining("sg-0eeeeeeeeeeeeeee0") });
    await expect(harness(task).run({ instanceId: INSTANCE, groupIds: [SG_ELSEWHERE] })).rejects.toMatchObject({ name: "NotFound", message: expect.stringContaining(`${SG_ELSEWHERE} does not exist in ${VPC}`) });
    expect(mutations()).toBe(0);
  });

  it("runs once per incident and step: a repeat returns the recorded result without calling AWS", async () => {
    world();
    const h = harness(task);
    const first = await h.run({ instanceId: INSTANCE, groupIds: [SG_WEB, SG_DB] });
    const calls = ec2.calls().length;
    await expect(h.run({ instanceId: INSTANCE, groupIds: [SG_WEB, SG_DB] })).resolves.toEqual(first);
    expect(ec2.calls()).toHaveLength(calls);
  });

  it("changes nothing, and says so, when the instance is already in its groups", async () => {
    world({ interfaces: [{ id: ENI, groups: [SG_DB, SG_WEB] }] });
    const h = harness(task);
    await expect(h.run({ instanceId: INSTANCE, groupIds: [SG_WEB, SG_DB] })).resolves.toEqual({ instanceId: INSTANCE, groupIds: [SG_WEB, SG_DB], replacedGroupIds: [SG_DB, SG_WEB] });
    expect(mutations()).toBe(0);
    const [record] = h.journal.all();
    expect(record!.changes).toEqual([]);
    expect(record!.undo).toBeUndefined();
    expect(record!.summary).toMatch(/already in its groups/);
  });

  it("maps throttling to Transient", async () => {
    world();
    ec2.on(DescribeSecurityGroupsCommand).rejects(awsError("RequestLimitExceeded", 503));
    await expect(harness(task).run({ instanceId: INSTANCE, groupIds: [SG_WEB] })).rejects.toMatchObject({ name: "Transient" });
  });

  it("reports a missing instance as NotFound with its id", async () => {
    ec2.on(DescribeInstancesCommand).rejects(awsError("InvalidInstanceID.NotFound"));
    await expect(harness(task).run({ instanceId: INSTANCE, groupIds: [SG_WEB] })).rejects.toMatchObject({ name: "NotFound", message: expect.stringContaining(INSTANCE) });
  });

  it("refuses bad input before any AWS call", async () => {
    await expect(harness(task).run({ instanceId: INSTANCE, groupIds: [] })).rejects.toMatchObject({ name: "InvalidInput" });
    await expect(harness(task).run({ instanceId: INSTANCE, groupIds: [SG_WEB], interfaceGroups: { "eni-x; rm": [SG_WEB] } })).rejects.toMatchObject({ name: "InvalidInput" });
    expect(ec2.calls()).toHaveLength(0);
  });

  it("refuses an instance tagged exempt unless the step allows it", async () => {
    world({ ...isolated, tags: { ...isolated.tags, "irflow:exempt": "true" } });
    await expect(harness(task).run({ instanceId: INSTANCE, groupIds: [SG_WEB, SG_DB] })).rejects.toMatchObject({ name: "PreconditionFailed", detail: "exempt" });
    expect(mutations()).toBe(0);
    await expect(harness(task).run({ instanceId: INSTANCE, groupIds: [SG_WEB, SG_DB] }, { allowExempt: true })).resolves.toMatchObject({ replacedGroupIds: [SG_QUARANTINE] });
  });
});
