import { DescribeInstanceAttributeCommand, DescribeInstancesCommand, EC2Client, ModifyInstanceAttributeCommand, TerminateInstancesCommand } from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import contract from "../../../functions/ec2/terminate-instance.contract.js";
import task from "../../../functions/ec2/terminate-instance.js";
import { expectCallsDeclared } from "../../support/iam-coverage.js";
import { awsError, harness } from "../../support/task-harness.js";
import { described, INSTANCE, instance, VOL_DATA, VOL_ROOT } from "./instance-fixtures.js";

const ec2 = mockClient(EC2Client);
const protectedInstance = (value: boolean) => ec2.on(DescribeInstanceAttributeCommand, { Attribute: "disableApiTermination" }).resolves({ DisableApiTermination: { Value: value } });

describe("ec2.terminate-instance", () => {
  beforeEach(() => ec2.reset());
  afterEach(() => expectCallsDeclared(contract, { EC2Client: ec2 }));

  it("plans with DryRun only: keeps volumes, lifts protection, terminates, and changes nothing yet", async () => {
    ec2.on(DescribeInstancesCommand).resolves(described(instance()));
    protectedInstance(true);
    ec2.on(TerminateInstancesCommand).rejects(awsError("DryRunOperation", 412));
    const plan = await harness(task).plan({ instanceId: INSTANCE });
    expect(plan.changes).toBe(3);
    expect(plan.summary).toContain(VOL_ROOT);
    expect(ec2.commandCalls(TerminateInstancesCommand).map((c) => c.args[0].input)).toEqual([{ InstanceIds: [INSTANCE], DryRun: true }]);
    // The protection is removed only at run, after approval.
    expect(ec2.commandCalls(ModifyInstanceAttributeCommand)).toHaveLength(0);
  });

  it("keeps every EBS volume, then removes the protection, then terminates", async () => {
    ec2.on(DescribeInstancesCommand).resolves(described(instance()));
    protectedInstance(true);
    ec2.on(ModifyInstanceAttributeCommand).resolves({});
    ec2.on(TerminateInstancesCommand).resolves({ TerminatingInstances: [{ InstanceId: INSTANCE, CurrentState: { Name: "shutting-down" } }] });
    const h = harness(task);
    const output = await h.run({ instanceId: INSTANCE });
    expect(output).toEqual({ instanceId: INSTANCE, previousState: "running", state: "shutting-down", terminationProtectionRemoved: true, retainedVolumeIds: [VOL_ROOT, VOL_DATA] });
    const modifies = ec2.commandCalls(ModifyInstanceAttributeCommand).map((c) => c.args[0].input);
    expect(modifies).toEqual([
      { InstanceId: INSTANCE, BlockDeviceMappings: [{ DeviceName: "/dev/xvda", Ebs: { DeleteOnTermination: false } }] },
      { InstanceId: INSTANCE, DisableApiTermination: { Value: false } },
    ]);
    const order = ec2.calls().map((c) => (c.args[0] as object).constructor.name);
    expect(order.indexOf("TerminateInstancesCommand")).toBeGreaterThan(order.lastIndexOf("ModifyInstanceAttributeCommand"));
    expect(ec2.commandCalls(TerminateInstancesCommand)[0]!.args[0].input).toEqual({ InstanceIds: [INSTANCE] });
    const [record] = h.journal.all();
    expect(record!.changes).toEqual([
      { resource: INSTANCE, action: "ModifyInstanceAttribute DeleteOnTermination", before: { [`/dev/xvda ${VOL_ROOT}`]: true }, after: { [`/dev/xvda ${VOL_ROOT}`]: false } },
      { resource: INSTANCE, action: "ModifyInstanceAttribute DisableApiTermination", before: true, after: false },
      { resource: INSTANCE, action: "TerminateInstances", before: { state: "running" }, after: { state: "terminated", retainedVolumeIds: [VOL_ROOT, VOL_DATA] } },
    ]);
    expect(record!.undo).toBeUndefined();
  });

  it("does not touch attributes that are already right", async () => {
    ec2.on(DescribeInstancesCommand).resolves(described(instance({ volumes: [{ device: "/dev/xvda", id: VOL_ROOT, deleteOnTermination: false }] })));
    protectedInstance(false);
    ec2.on(TerminateInstancesCommand).resolves({});
    await expect(harness(task).run({ instanceId: INSTANCE })).resolves.toMatchObject({ terminationProtectionRemoved: false, retainedVolumeIds: [VOL_ROOT] });
    expect(ec2.commandCalls(ModifyInstanceAttributeCommand)).toHaveLength(0);
  });

  it("never terminates when keeping the volumes fails", async () => {
    ec2.on(DescribeInstancesCommand).resolves(described(instance()));
    protectedInstance(true);
    ec2.on(ModifyInstanceAttributeCommand).rejects(awsError("UnauthorizedOperation", 403));
    await expect(harness(task).run({ instanceId: INSTANCE })).rejects.toMatchObject({ name: "Forbidden" });
    expect(ec2.commandCalls(TerminateInstancesCommand)).toHaveLength(0);
    expect(ec2.commandCalls(ModifyInstanceAttributeCommand)).toHaveLength(1);
  });

  it("runs once per incident and step: a repeat returns the recorded result without calling AWS", async () => {
    ec2.on(DescribeInstancesCommand).resolves(described(instance()));
    protectedInstance(false);
    ec2.on(ModifyInstanceAttributeCommand).resolves({});
    ec2.on(TerminateInstancesCommand).resolves({});
    const h = harness(task);
    const first = await h.run({ instanceId: INSTANCE });
    const calls = ec2.calls().length;
    await expect(h.run({ instanceId: INSTANCE })).resolves.toEqual(first);
    expect(ec2.calls()).toHaveLength(calls);
    expect(ec2.commandCalls(TerminateInstancesCommand)).toHaveLength(1);
  });

  it("changes nothing, and says so, when the instance is already terminated", async () => {
    ec2.on(DescribeInstancesCommand).resolves(described(instance({ state: "terminated", interfaces: [], volumes: [], vpcId: null, subnetId: null })));
    const h = harness(task);
    await expect(h.run({ instanceId: INSTANCE })).resolves.toEqual({ instanceId: INSTANCE, previousState: "terminated", state: "terminated", terminationProtectionRemoved: false, retainedVolumeIds: [] });
    expect(ec2.commandCalls(TerminateInstancesCommand)).toHaveLength(0);
    expect(ec2.commandCalls(ModifyInstanceAttributeCommand)).toHaveLength(0);
    expect(h.journal.all()[0]!.summary).toMatch(/already terminated/);
  });

  it("maps throttling to Transient", async () => {
    ec2.on(DescribeInstancesCommand).resolves(described(instance()));
    ec2.on(DescribeInstanceAttributeCommand).rejects(awsError("RequestLimitExceeded", 503));
    await expect(harness(task).run({ instanceId: INSTANCE })).rejects.toMatchObject({ name: "Transient" });
    expect(ec2.commandCalls(TerminateInstancesCommand)).toHaveLength(0);
  });

  it("reports a missing instance as NotFound with its id", async () => {
    ec2.on(DescribeInstancesCommand).rejects(awsError("InvalidInstanceID.NotFound"));
    await expect(harness(task).plan({ instanceId: INSTANCE })).rejects.toMatchObject({ name: "NotFound", message: expect.stringContaining(INSTANCE) });
  });

  it("refuses bad input before any AWS call", async () => {
    await expect(harness(task).run({ instanceId: "i-*" })).rejects.toMatchObject({ name: "InvalidInput" });
    await expect(harness(task).run({})).rejects.toMatchObject({ name: "InvalidInput" });
    expect(ec2.calls()).toHaveLength(0);
  });

  it("refuses an instance tagged exempt unless the step allows it", async () => {
    ec2.on(DescribeInstancesCommand).resolves(described(instance({ tags: { "irflow:criticality": "critical" } })));
    protectedInstance(true);
    ec2.on(ModifyInstanceAttributeCommand).resolves({});
    ec2.on(TerminateInstancesCommand).resolves({});
    await expect(harness(task).run({ instanceId: INSTANCE })).rejects.toMatchObject({ name: "PreconditionFailed", detail: "exempt" });
    expect(ec2.commandCalls(ModifyInstanceAttributeCommand)).toHaveLength(0);
    expect(ec2.commandCalls(TerminateInstancesCommand)).toHaveLength(0);
    await expect(harness(task).run({ instanceId: INSTANCE }, { allowExempt: true })).resolves.toMatchObject({ terminationProtectionRemoved: true });
  });
});
