import { DescribeInstancesCommand, EC2Client, StopInstancesCommand } from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import contract from "../../../functions/ec2/stop-instance.contract.js";
import task from "../../../functions/ec2/stop-instance.js";
import { expectCallsDeclared } from "../../support/iam-coverage.js";
import { awsError, harness } from "../../support/task-harness.js";
import { described, INSTANCE, instance } from "./instance-fixtures.js";

const ec2 = mockClient(EC2Client);
const running = described(instance({ state: "running" }));
const stopped = described(instance({ state: "stopped" }));

describe("ec2.stop-instance", () => {
  beforeEach(() => ec2.reset());
  afterEach(() => expectCallsDeclared(contract, { EC2Client: ec2 }));

  it("plans the stop with DryRun and makes no real call", async () => {
    ec2.on(DescribeInstancesCommand).resolves(running);
    ec2.on(StopInstancesCommand).rejects(awsError("DryRunOperation", 412));
    const plan = await harness(task).plan({ instanceId: INSTANCE });
    expect(plan.changes).toBe(1);
    expect(plan.summary).toMatch(/memory will be lost/);
    const calls = ec2.commandCalls(StopInstancesCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({ InstanceIds: [INSTANCE], DryRun: true });
  });

  it("stops, waits for stopped, records that memory is lost and an undo that starts it", async () => {
    ec2.on(DescribeInstancesCommand).resolvesOnce(running).resolvesOnce(described(instance({ state: "stopping" }))).resolves(stopped);
    ec2.on(StopInstancesCommand).resolves({ StoppingInstances: [{ InstanceId: INSTANCE, CurrentState: { Name: "stopping" } }] });
    const h = harness(task);
    const output = await h.run({ instanceId: INSTANCE });
    expect(output).toEqual({ instanceId: INSTANCE, previousState: "running", state: "stopped" });
    expect(ec2.commandCalls(StopInstancesCommand)[0]!.args[0].input).toEqual({ InstanceIds: [INSTANCE] });
    expect(h.sleeps.length).toBeGreaterThanOrEqual(2);
    const [record] = h.journal.all();
    expect(record!.changes).toEqual([{ resource: INSTANCE, action: "StopInstances", before: { state: "running" }, after: { state: "stopped", memory: "lost", instanceStore: "lost" } }]);
    expect(record!.undo).toEqual({ task: "ec2.start-instance", input: { instanceId: INSTANCE } });
    expect(record!.summary).toMatch(/memory is lost/);
  });

  it("reports stopping when the instance takes longer than the wait", async () => {
    ec2.on(DescribeInstancesCommand).resolvesOnce(running).resolves(described(instance({ state: "stopping" })));
    ec2.on(StopInstancesCommand).resolves({});
    await expect(harness(task).run({ instanceId: INSTANCE })).resolves.toMatchObject({ state: "stopping" });
  });

  it("runs once per incident and step: a repeat returns the recorded result without calling AWS", async () => {
    ec2.on(DescribeInstancesCommand).resolvesOnce(running).resolves(stopped);
    ec2.on(StopInstancesCommand).resolves({});
    const h = harness(task);
    const first = await h.run({ instanceId: INSTANCE });
    const calls = ec2.calls().length;
    const second = await h.run({ instanceId: INSTANCE });
    expect(second).toEqual(first);
    expect(ec2.calls()).toHaveLength(calls);
    expect(ec2.commandCalls(StopInstancesCommand)).toHaveLength(1);
  });

  it("changes nothing, and says so, when the instance is already stopped", async () => {
    ec2.on(DescribeInstancesCommand).resolves(stopped);
    const h = harness(task);
    await expect(h.run({ instanceId: INSTANCE }, { stepId: "eradicate/stop-again" })).resolves.toEqual({ instanceId: INSTANCE, previousState: "stopped", state: "stopped" });
    expect(ec2.commandCalls(StopInstancesCommand)).toHaveLength(0);
    const [record] = h.journal.all();
    expect(record!.changes).toEqual([]);
    expect(record!.undo).toBeUndefined();
    expect(record!.summary).toMatch(/already stopped/);
    await expect(harness(task).plan({ instanceId: INSTANCE })).resolves.toMatchObject({ changes: 0 });
  });

  it("refuses a terminated instance and one whose root is instance store", async () => {
    ec2.on(DescribeInstancesCommand).resolves(described(instance({ state: "terminated" })));
    await expect(harness(task).run({ instanceId: INSTANCE })).rejects.toMatchObject({ name: "PreconditionFailed" });
    ec2.on(DescribeInstancesCommand).resolves(described(instance({ extra: { RootDeviceType: "instance-store" } })));
    await expect(harness(task).run({ instanceId: INSTANCE })).rejects.toMatchObject({ name: "PreconditionFailed", message: expect.stringContaining("instance-store") });
    expect(ec2.commandCalls(StopInstancesCommand)).toHaveLength(0);
  });

  it("maps throttling to Transient so the state machine retries", async () => {
    ec2.on(DescribeInstancesCommand).resolves(running);
    ec2.on(StopInstancesCommand).rejects(awsError("RequestLimitExceeded", 503));
    await expect(harness(task).run({ instanceId: INSTANCE })).rejects.toMatchObject({ name: "Transient" });
  });

  it("reports a missing instance as NotFound with its id", async () => {
    ec2.on(DescribeInstancesCommand).rejects(awsError("InvalidInstanceID.NotFound"));
    await expect(harness(task).run({ instanceId: INSTANCE })).rejects.toMatchObject({ name: "NotFound", message: expect.stringContaining(INSTANCE) });
  });

  it("refuses bad input before any AWS call", async () => {
    await expect(harness(task).run({ instanceId: "i-123; shutdown -h now" })).rejects.toMatchObject({ name: "InvalidInput" });
    expect(ec2.calls()).toHaveLength(0);
  });

  it("refuses an instance tagged exempt unless the step allows it", async () => {
    ec2.on(DescribeInstancesCommand).resolvesOnce(described(instance({ tags: { critical: "true" } }))).resolves(described(instance({ state: "stopped", tags: { critical: "true" } })));
    ec2.on(StopInstancesCommand).resolves({});
    await expect(harness(task).run({ instanceId: INSTANCE })).rejects.toMatchObject({ name: "PreconditionFailed", detail: "exempt" });
    expect(ec2.commandCalls(StopInstancesCommand)).toHaveLength(0);
    ec2.on(DescribeInstancesCommand).resolvesOnce(described(instance({ tags: { critical: "true" } }))).resolves(described(instance({ state: "stopped" })));
    await expect(harness(task).run({ instanceId: INSTANCE }, { allowExempt: true })).resolves.toMatchObject({ state: "stopped" });
  });
});
