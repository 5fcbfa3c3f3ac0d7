import { AttachInstancesCommand, AutoScalingClient, DescribeAutoScalingGroupsCommand, type AutoScalingGroup, type Instance } from "@aws-sdk/client-auto-scaling";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import contract from "../../../functions/autoscaling/attach-instance.contract.js";
import task from "../../../functions/autoscaling/attach-instance.js";
import { expectCallsDeclared } from "../../support/iam-coverage.js";
import { awsError, harness } from "../../support/task-harness.js";

const autoscaling = mockClient(AutoScalingClient);
const INSTANCE = "i-0123456789abcdef0";
const REPLACEMENT = "i-0fedcba9876543210";
const GROUP = "web-asg";

function member(id: string, state: Instance["LifecycleState"] = "InService"): Instance {
  return { InstanceId: id, AvailabilityZone: "us-east-1a", LifecycleState: state, HealthStatus: "Healthy", ProtectedFromScaleIn: false };
}

function group(overrides: Partial<AutoScalingGroup> = {}): AutoScalingGroup {
  return {
    AutoScalingGroupName: GROUP,
    MinSize: 2,
    MaxSize: 6,
    DesiredCapacity: 3,
    DefaultCooldown: 300,
    AvailabilityZones: ["us-east-1a"],
    HealthCheckType: "EC2",
    CreatedTime: new Date("2025-01-01T00:00:00Z"),
    Instances: [member(REPLACEMENT)],
    Tags: [],
    ...overrides,
  };
}

const expectedChange = { resource: INSTANCE, action: `AttachInstances ${GROUP}`, before: { autoScalingGroupName: null, desiredCapacity: 3 }, after: { autoScalingGroupName: GROUP, desiredCapacity: 4 } };

describe("autoscaling.attach-instance", () => {
  beforeEach(() => {
    autoscaling.reset();
    autoscaling.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group()] });
    autoscaling.on(AttachInstancesCommand).resolves({});
  });
  afterEach(() => expectCallsDeclared(contract, { AutoScalingClient: autoscaling }));

  it("plans the capacity change without attaching", async () => {
    const h = harness(task);
    const plan = await h.plan({ instanceId: INSTANCE, autoScalingGroupName: GROUP });
    expect(plan.changes).toBe(1);
    expect(plan.summary).toContain("3 → 4");
    expect(autoscaling.commandCalls(AttachInstancesCommand)).toHaveLength(0);
    expect(h.journal.all()[0]!.changes).toEqual([expectedChange]);
  });

  it("attaches the instance and records the undo", async () => {
    const h = harness(task);
    const output = await h.run({ instanceId: INSTANCE, autoScalingGroupName: GROUP });
    expect(output).toEqual({ instanceId: INSTANCE, autoScalingGroupName: GROUP, desiredCapacity: 4 });
    expect(autoscaling.commandCalls(AttachInstancesCommand).map((c) => c.args[0].input)).toEqual([{ AutoScalingGroupName: GROUP, InstanceIds: [INSTANCE] }]);
    const [record] = h.journal.all();
    expect(record!.changes).toEqual([expectedChange]);
    expect(record!.undo).toEqual({ task: "autoscaling.detach-instance", input: { instanceId: INSTANCE, autoScalingGroupName: GROUP } });
  });

  it("runs once per incident and step", async () => {
    const h = harness(task);
    const first = await h.run({ instanceId: INSTANCE, autoScalingGroupName: GROUP });
    expect(await h.run({ instanceId: INSTANCE, autoScalingGroupName: GROUP })).toEqual(first);
    expect(autoscaling.commandCalls(AttachInstancesCommand)).toHaveLength(1);
  });

  it("converges when the instance is already in the group", async () => {
    autoscaling.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group({ DesiredCapacity: 4, Instances: [member(REPLACEMENT), member(INSTANCE)] })] });
    const h = harness(task);
    const output = await h.run({ instanceId: INSTANCE, autoScalingGroupName: GROUP }, { stepId: "recover/attach-again" });
    expect(output).toEqual({ instanceId: INSTANCE, autoScalingGroupName: GROUP, desiredCapacity: 4 });
    expect(autoscaling.commandCalls(AttachInstancesCommand)).toHaveLength(0);
    expect(h.journal.all()[0]!.summary).toMatch(/already in/);
    expect(h.journal.all()[0]!.undo).toBeUndefined();
  });

  it("retries (Transient) while the instance is still detaching", async () => {
    autoscaling.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group({ Instances: [member(INSTANCE, "Detaching")] })] });
    await expect(harness(task).run({ instanceId: INSTANCE, autoScalingGroupName: GROUP })).rejects.toMatchObject({ name: "Transient" });
    expect(autoscaling.commandCalls(AttachInstancesCommand)).toHaveLength(0);
  });

  it("refuses to push desired capacity past the maximum", async () => {
    autoscaling.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group({ DesiredCapacity: 6 })] });
    await expect(harness(task).plan({ instanceId: INSTANCE, autoScalingGroupName: GROUP })).rejects.toMatchObject({ name: "PreconditionFailed", message: expect.stringContaining("maximum 6") });
    await expect(harness(task).run({ instanceId: INSTANCE, autoScalingGroupName: GROUP })).rejects.toMatchObject({ name: "PreconditionFailed" });
    expect(autoscaling.commandCalls(AttachInstancesCommand)).toHaveLength(0);
  });

  it("maps throttling to Transient", async () => {
    autoscaling.on(DescribeAutoScalingGroupsCommand).rejects(awsError("Throttling", 400));
    await expect(harness(task).run({ instanceId: INSTANCE, autoScalingGroupName: GROUP })).rejects.toMatchObject({ name: "Transient" });
  });

  it("reports a missing group as NotFound with its name", async () => {
    autoscaling.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] });
    await expect(harness(task).run({ instanceId: INSTANCE, autoScalingGroupName: "gone-asg" })).rejects.toMatchObject({ name: "NotFound", message: expect.stringContaining("gone-asg") });
  });

  it("refuses bad input before any AWS call", async () => {
    await expect(harness(task).run({ instanceId: INSTANCE })).rejects.toMatchObject({ name: "InvalidInput" });
    await expect(harness(task).run({ instanceId: "i-xyz", autoScalingGroupName: GROUP })).rejects.toMatchObject({ name: "InvalidInput" });
    expect(autoscaling.calls()).toHaveLength(0);
  });

  it("refuses a group tagged critical unless the step allows it", async () => {
    autoscaling.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group({ Tags: [{ Key: "criticality", Value: "critical" }] })] });
    await expect(harness(task).run({ instanceId: INSTANCE, autoScalingGroupName: GROUP })).rejects.toMatchObject({ name: "PreconditionFailed" });
    expect(autoscaling.commandCalls(AttachInstancesCommand)).toHaveLength(0);
    await expect(harness(task).run({ instanceId: INSTANCE, autoScalingGroupName: GROUP }, { allowExempt: true })).resolves.toMatchObject({ desiredCapacity: 4 });
  });
});
