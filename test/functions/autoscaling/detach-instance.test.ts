import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
  DetachInstancesCommand,
  type AutoScalingGroup,
  type AutoScalingInstanceDetails,
} from "@aws-sdk/client-auto-scaling";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import contract from "../../../functions/autoscaling/detach-instance.contract.js";
import task from "../../../functions/autoscaling/detach-instance.js";
import { expectCallsDeclared } from "../../support/iam-coverage.js";
import { awsError, harness } from "../../support/task-harness.js";

const autoscaling = mockClient(AutoScalingClient);
const INSTANCE = "i-0123456789abcdef0";
const GROUP = "web-asg";
const TG_1 = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef";
const TG_2 = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-canary/fedcba9876543210";

function group(overrides: Partial<AutoScalingGroup> = {}): AutoScalingGroup {
  return {
    AutoScalingGroupName: GROUP,
    AutoScalingGroupARN: `arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:1234:autoScalingGroupName/${GROUP}`,
    MinSize: 2,
    MaxSize: 6,
    DesiredCapacity: 3,
    DefaultCooldown: 300,
    AvailabilityZones: ["us-east-1a"],
    HealthCheckType: "ELB",
    CreatedTime: new Date("2025-01-01T00:00:00Z"),
    TargetGroupARNs: [TG_1],
    TrafficSources: [{ Identifier: TG_1, Type: "elbv2" }, { Identifier: TG_2, Type: "elbv2" }, { Identifier: "legacy-elb", Type: "elb" }],
    Tags: [{ Key: "team", Value: "web", ResourceId: GROUP, ResourceType: "auto-scaling-group", PropagateAtLaunch: true }],
    ...overrides,
  };
}

function membership(state: string, groupName = GROUP): AutoScalingInstanceDetails {
  return { InstanceId: INSTANCE, AutoScalingGroupName: groupName, AvailabilityZone: "us-east-1a", LifecycleState: state, HealthStatus: "HEALTHY", ProtectedFromScaleIn: false };
}

const expectedChange = {
  resource: INSTANCE,
  action: `DetachInstances ${GROUP}`,
  before: { autoScalingGroupName: GROUP, lifecycleState: "InService", minSize: 2, maxSize: 6, desiredCapacity: 3, targetGroupArns: [TG_1, TG_2], loadBalancerNames: ["legacy-elb"] },
  after: { autoScalingGroupName: null, desiredCapacity: 3 },
};

describe("autoscaling.detach-instance", () => {
  beforeEach(() => {
    autoscaling.reset();
    autoscaling.on(DescribeAutoScalingInstancesCommand).resolves({ AutoScalingInstances: [membership("InService")] });
    autoscaling.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group()] });
    autoscaling.on(DetachInstancesCommand).resolves({ Activities: [{ ActivityId: "act-1", AutoScalingGroupName: GROUP, Cause: "detach", StartTime: new Date(), StatusCode: "InProgress" }] });
  });
  afterEach(() => expectCallsDeclared(contract, { AutoScalingClient: autoscaling }));

  it("plans the detach with the group, its capacity and its target groups, detaching nothing", async () => {
    const h = harness(task);
    const plan = await h.plan({ instanceId: INSTANCE });
    expect(plan.changes).toBe(1);
    expect(plan.summary).toMatch(/replacement/);
    expect(autoscaling.commandCalls(DetachInstancesCommand)).toHaveLength(0);
    expect(autoscaling.commandCalls(DescribeAutoScalingInstancesCommand)[0]!.args[0].input).toEqual({ InstanceIds: [INSTANCE] });
    expect(autoscaling.commandCalls(DescribeAutoScalingGroupsCommand)[0]!.args[0].input).toEqual({ AutoScalingGroupNames: [GROUP] });
    expect(h.journal.all()[0]!.changes).toEqual([expectedChange]);
  });

  it("detaches without decrementing desired capacity, so the group launches a clean replacement", async () => {
    const h = harness(task);
    const output = await h.run({ instanceId: INSTANCE });
    expect(output).toEqual({ instanceId: INSTANCE, autoScalingGroupName: GROUP, desiredCapacity: 3, targetGroupArns: [TG_1, TG_2] });
    expect(autoscaling.commandCalls(DetachInstancesCommand).map((c) => c.args[0].input)).toEqual([
      { AutoScalingGroupName: GROUP, InstanceIds: [INSTANCE], ShouldDecrementDesiredCapacity: false },
    ]);
    const [record] = h.journal.all();
    expect(record!.changes).toEqual([{ ...expectedChange, after: { ...expectedChange.after, activityId: "act-1" } }]);
    expect(record!.undo).toEqual({ task: "autoscaling.attach-instance", input: { instanceId: INSTANCE, autoScalingGroupName: GROUP } });
  });

  it("runs once per incident and step", async () => {
    const h = harness(task);
    const first = await h.run({ instanceId: INSTANCE });
    expect(await h.run({ instanceId: INSTANCE })).toEqual(first);
    expect(autoscaling.commandCalls(DetachInstancesCommand)).toHaveLength(1);
  });

  it("converges when the named group no longer holds the instance, or it is still detaching", async () => {
    autoscaling.on(DescribeAutoScalingInstancesCommand).resolves({ AutoScalingInstances: [] });
    const h = harness(task);
    const output = await h.run({ instanceId: INSTANCE, autoScalingGroupName: GROUP }, { stepId: "contain/detach-again" });
    expect(output).toMatchObject({ autoScalingGroupName: GROUP, desiredCapacity: 3 });
    autoscaling.on(DescribeAutoScalingInstancesCommand).resolves({ AutoScalingInstances: [membership("Detaching")] });
    await h.run({ instanceId: INSTANCE }, { stepId: "contain/detach-third" });
    expect(autoscaling.commandCalls(DetachInstancesCommand)).toHaveLength(0);
    const runs = h.journal.all().filter((r) => r.mode === "run");
    expect(runs.map((r) => r.changes)).toEqual([[], []]);
    expect(runs.every((r) => /already detached/.test(r.summary))).toBe(true);
    expect(runs.every((r) => r.undo === undefined)).toBe(true);
  });

  it("refuses an instance in no group when no group is named (nothing to confirm it against)", async () => {
    autoscaling.on(DescribeAutoScalingInstancesCommand).resolves({ AutoScalingInstances: [] });
    await expect(harness(task).run({ instanceId: INSTANCE })).rejects.toMatchObject({ name: "PreconditionFailed", message: expect.stringContaining(INSTANCE) });
  });

  it("refuses an instance that belongs to another group than the one named", async () => {
    autoscaling.on(DescribeAutoScalingInstancesCommand).resolves({ AutoScalingInstances: [membership("InService", "other-asg")] });
    await expect(harness(task).run({ instanceId: INSTANCE, autoScalingGroupName: GROUP })).rejects.toMatchObject({ name: "PreconditionFailed", message: expect.stringContaining("other-asg") });
    expect(autoscaling.commandCalls(DetachInstancesCommand)).toHaveLength(0);
  });

  it("refuses an instance the group is already terminating, pointing at the evidence", async () => {
    autoscaling.on(DescribeAutoScalingInstancesCommand).resolves({ AutoScalingInstances: [membership("Terminating:Wait")] });
    await expect(harness(task).run({ instanceId: INSTANCE })).rejects.toMatchObject({ name: "PreconditionFailed", message: expect.stringContaining("evidence") });
    expect(autoscaling.commandCalls(DetachInstancesCommand)).toHaveLength(0);
  });

  it("maps throttling to Transient", async () => {
    autoscaling.on(DetachInstancesCommand).rejects(awsError("Throttling", 400));
    await expect(harness(task).run({ instanceId: INSTANCE })).rejects.toMatchObject({ name: "Transient" });
  });

  it("reports a missing group as NotFound with its name", async () => {
    autoscaling.on(DescribeAutoScalingInstancesCommand).resolves({ AutoScalingInstances: [membership("InService", "gone-asg")] });
    autoscaling.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] });
    await expect(harness(task).run({ instanceId: INSTANCE })).rejects.toMatchObject({ name: "NotFound", message: expect.stringContaining("gone-asg") });
  });

  it("refuses bad input before any AWS call", async () => {
    await expect(harness(task).run({ instanceId: "i-123; rm -rf /" })).rejects.toMatchObject({ name: "InvalidInput" });
    await expect(harness(task).run({ instanceId: INSTANCE, autoScalingGroupName: "web:asg" })).rejects.toMatchObject({ name: "InvalidInput" });
    expect(autoscaling.calls()).toHaveLength(0);
  });

  it("refuses a group tagged exempt unless the step allows it", async () => {
    autoscaling.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group({ Tags: [{ Key: "irflow:exempt", Value: "true" }] })] });
    await expect(harness(task).run({ instanceId: INSTANCE })).rejects.toMatchObject({ name: "PreconditionFailed" });
    expect(autoscaling.commandCalls(DetachInstancesCommand)).toHaveLength(0);
    await expect(harness(task).run({ instanceId: INSTANCE }, { allowExempt: true })).resolves.toMatchObject({ autoScalingGroupName: GROUP });
  });
});
