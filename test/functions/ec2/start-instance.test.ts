import { DescribeInstancesCommand, EC2Client, StartInstancesCommand } from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import contract from "../../../functions/ec2/start-instance.contract.js";
import task from "../../../functions/ec2/start-instance.js";
import { expectCallsDeclared } from "../../support/iam-coverage.js";
import { awsError, harness } from "../../support/task-harness.js";
import { described, INSTANCE, instance } from "./instance-fixtures.js";

const ec2 = mockClient(EC2Client);
const userStop = { StateReason: { Code: "Client.UserInitiatedShutdown", Message: "Client.UserInitiatedShutdown: User initiated shutdown" } };
const stopped = described(instance({ state: "stopped", extra: userStop }));
const pending = described(instance({ state: "pending" }));
const running = described(instance({ state: "running" }));

describe("ec2.start-instance", () => {
  beforeEach(() => ec2.reset());
  afterEach(() => expectCallsDeclared(contract, { EC2Client: ec2 }));

  it("plans the start with DryRun and makes no real call", async () => {
    ec2.on(DescribeInstancesCommand).resolves(stopped);
    ec2.on(StartInstancesCommand).rejects(awsError("DryRunOperation", 412));
    const plan = await harness(task).plan({ instanceId: INSTANCE });
    expect(plan.changes).toBe(1);
    expect(ec2.commandCalls(StartInstancesCommand).map((c) => c.args[0].input)).toEqual([{ InstanceIds: [INSTANCE], DryRun: true }]);
  });

  it("starts, waits for running, and records an undo that stops it", async () => {
    ec2.on(DescribeInstancesCommand).resolvesOnce(stopped).resolvesOnce(pending).resolves(running);
    ec2.on(StartInstancesCommand).resolves({ StartingInstances: [{ InstanceId: INSTANCE, CurrentState: { Name: "pending" } }] });
    const h = harness(task);
    await expect(h.run({ instanceId: INSTANCE })).resolves.toEqual({ instanceId: INSTANCE, previousState: "stopped", state: "running" });
    expect(ec2.commandCalls(StartInstancesCommand)[0]!.args[0].input).toEqual({ InstanceIds: [INSTANCE] });
    const [record] = h.journal.all();
    expect(record!.changes).toEqual([{ resource: INSTANCE, action: "StartInstances", before: { state: "stopped" }, after: { state: "running" } }]);
    expect(record!.undo).toEqual({ task: "ec2.stop-instance", input: { instanceId: INSTANCE } });
  });

  it("reports the instance falling back to stopped (a KMS grant EC2 could not make) as an error", async () => {
    const failed = described(instance({ state: "stopped", extra: { StateReason: { Code: "Client.InternalError", Message: "Client.InternalError: Client error on launch" } } }));
    ec2.on(DescribeInstancesCommand).resolvesOnce(stopped).resolvesOnce(pending).resolves(failed);
    ec2.on(StartInstancesCommand).resolves({});
    const h = harness(task);
    await expect(h.run({ instanceId: INSTANCE })).rejects.toMatchObject({ name: "PreconditionFailed", detail: "Client.InternalError", message: expect.stringContaining("kms:CreateGrant") });
    expect(h.journal.all()).toHaveLength(0);
  });

  it("runs once per incident and step: a repeat returns the recorded result without calling AWS", async () => {
    ec2.on(DescribeInstancesCommand).resolvesOnce(stopped).resolves(running);
    ec2.on(StartInstancesCommand).resolves({});
    const h = harness(task);
    const first = await h.run({ instanceId: INSTANCE });
    const calls = ec2.calls().length;
    await expect(h.run({ instanceId: INSTANCE })).resolves.toEqual(first);
    expect(ec2.calls()).toHaveLength(calls);
  });

  it("changes nothing, and says so, when the instance already runs", async () => {
    ec2.on(DescribeInstancesCommand).resolves(running);
    const h = harness(task);
    await expect(h.run({ instanceId: INSTANCE })).resolves.toEqual({ instanceId: INSTANCE, previousState: "running", state: "running" });
    expect(ec2.commandCalls(StartInstancesCommand)).toHaveLength(0);
    expect(h.journal.all()[0]!.summary).toMatch(/already running/);
    expect(h.journal.all()[0]!.undo).toBeUndefined();
  });

  it("asks for a retry (Transient) while the instance is still stopping", async () => {
    ec2.on(DescribeInstancesCommand).resolves(described(instance({ state: "stopping" })));
    await expect(harness(task).run({ instanceId: INSTANCE })).rejects.toMatchObject({ name: "Transient" });
    expect(ec2.commandCalls(StartInstancesCommand)).toHaveLength(0);
  });

  it("maps throttling to Transient", async () => {
    ec2.on(DescribeInstancesCommand).rejects(awsError("Throttling", 400));
    await expect(harness(task).run({ instanceId: INSTANCE })).rejects.toMatchObject({ name: "Transient" });
  });

  it("reports a missing instance as NotFound with its id", async () => {
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    await expect(harness(task).run({ instanceId: INSTANCE })).rejects.toMatchObject({ name: "NotFound", message: expect.stringContaining(INSTANCE) });
  });

  it("refuses bad input before any AWS call", async () => {
    await expect(harness(task).run({ instanceId: "$(reboot)" })).rejects.toMatchObject({ name: "InvalidInput" });
    expect(ec2.calls()).toHaveLength(0);
  });

  it("refuses an instance tagged exempt unless the step allows it", async () => {
    const exempt = described(instance({ state: "stopped", tags: { "irflow:exempt": "true" }, extra: userStop }));
    ec2.on(DescribeInstancesCommand).resolves(exempt);
    await expect(harness(task).run({ instanceId: INSTANCE })).rejects.toMatchObject({ name: "PreconditionFailed", detail: "exempt" });
    expect(ec2.commandCalls(StartInstancesCommand)).toHaveLength(0);
    ec2.on(DescribeInstancesCommand).resolvesOnce(exempt).resolves(running);
    ec2.on(StartInstancesCommand).resolves({});
    await expect(harness(task).run({ instanceId: INSTANCE }, { allowExempt: true })).resolves.toMatchObject({ state: "running" });
  });
});
