import { CreateTagsCommand, DescribeInstancesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import contract from "../../../functions/ec2/tag-instance.contract.js";
import task from "../../../functions/ec2/tag-instance.js";
import { expectCallsDeclared } from "../../support/iam-coverage.js";
import { awsError, harness } from "../../support/task-harness.js";

const ec2 = mockClient(EC2Client);
const INSTANCE = "i-0123456789abcdef0";

function instanceWithTags(tags: Record<string, string>) {
  return { Reservations: [{ Instances: [{ InstanceId: INSTANCE, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }] }] };
}

describe("ec2.tag-instance", () => {
  beforeEach(() => ec2.reset());
  // Every call any test made must be covered by the contract's IAM declaration.
  afterEach(() => expectCallsDeclared(contract, { EC2Client: ec2 }));

  it("plans the tags it would add or overwrite, proving permission with DryRun", async () => {
    ec2.on(DescribeInstancesCommand).resolves(instanceWithTags({ Owner: "web", "irflow:incident": "old" }));
    ec2.on(CreateTagsCommand).rejects(awsError("DryRunOperation", 412));
    const plan = await harness(task).plan({ instanceId: INSTANCE, tags: { "irflow:incident": "inc-1", "irflow:status": "isolated" } });
    expect(plan.changes).toBe(2);
    expect(plan.digest).toMatch(/^[0-9a-f]{64}$/);
    const dry = ec2.commandCalls(CreateTagsCommand)[0]!.args[0].input;
    expect(dry.DryRun).toBe(true);
    expect(ec2.commandCalls(CreateTagsCommand)).toHaveLength(1);
  });

  it("runs, records before/after and an undo for the keys it added", async () => {
    ec2.on(DescribeInstancesCommand).resolves(instanceWithTags({ Owner: "web", "irflow:status": "open" }));
    ec2.on(CreateTagsCommand).resolves({});
    const h = harness(task);
    const output = await h.run({ instanceId: INSTANCE, tags: { "irflow:incident": "inc-1", "irflow:status": "isolated" } });
    expect(output).toEqual({ instanceId: INSTANCE, tags: { "irflow:incident": "inc-1", "irflow:status": "isolated" }, previousValues: { "irflow:status": "open" } });
    expect(ec2.commandCalls(CreateTagsCommand)[0]!.args[0].input).toEqual({
      Resources: [INSTANCE],
      Tags: [
        { Key: "irflow:incident", Value: "inc-1" },
        { Key: "irflow:status", Value: "isolated" },
      ],
    });
    const [record] = h.journal.all().filter((r) => r.mode === "run");
    expect(record!.changes).toEqual([
      { resource: INSTANCE, action: "CreateTags irflow:incident", before: null, after: "inc-1" },
      { resource: INSTANCE, action: "CreateTags irflow:status", before: "open", after: "isolated" },
    ]);
    expect(record!.undo).toEqual({ task: "ec2.untag-instance", input: { instanceId: INSTANCE, keys: ["irflow:incident"] } });
  });

  it("runs once per incident and step: a repeat returns the recorded result without calling AWS", async () => {
    ec2.on(DescribeInstancesCommand).resolves(instanceWithTags({}));
    ec2.on(CreateTagsCommand).resolves({});
    const h = harness(task);
    const first = await h.run({ instanceId: INSTANCE, tags: { a: "1" } });
    const second = await h.run({ instanceId: INSTANCE, tags: { a: "1" } });
    expect(second).toEqual(first);
    expect(ec2.commandCalls(CreateTagsCommand)).toHaveLength(1);
    expect(ec2.commandCalls(DescribeInstancesCommand)).toHaveLength(1);
  });

  it("changes nothing, and says so, when the tags are already there (another incident tagged it)", async () => {
    ec2.on(DescribeInstancesCommand).resolves(instanceWithTags({ a: "1" }));
    const h = harness(task);
    await h.run({ instanceId: INSTANCE, tags: { a: "1" } });
    expect(ec2.commandCalls(CreateTagsCommand)).toHaveLength(0);
    expect(h.journal.all()[0]!.summary).toMatch(/already/);
  });

  it("maps throttling to Transient so the state machine retries", async () => {
    ec2.on(DescribeInstancesCommand).rejects(awsError("RequestLimitExceeded", 503));
    await expect(harness(task).run({ instanceId: INSTANCE, tags: { a: "1" } })).rejects.toMatchObject({ name: "Transient" });
  });

  it("reports a missing instance as NotFound with its id", async () => {
    ec2.on(DescribeInstancesCommand).rejects(awsError("InvalidInstanceID.NotFound"));
    await expect(harness(task).run({ instanceId: INSTANCE, tags: { a: "1" } })).rejects.toMatchObject({ name: "NotFound", message: expect.stringContaining(INSTANCE) });
  });

  it("refuses bad input before any AWS call", async () => {
    await expect(harness(task).run({ instanceId: "i-123; rm -rf /", tags: { a: "1" } })).rejects.toMatchObject({ name: "InvalidInput" });
    await expect(harness(task).run({ instanceId: INSTANCE, tags: { "aws:reserved": "x" } })).rejects.toMatchObject({ name: "InvalidInput" });
    expect(ec2.calls()).toHaveLength(0);
  });

  it("refuses an instance tagged exempt unless the step allows it", async () => {
    ec2.on(DescribeInstancesCommand).resolves(instanceWithTags({ "irflow:exempt": "true" }));
    ec2.on(CreateTagsCommand).resolves({});
    await expect(harness(task).run({ instanceId: INSTANCE, tags: { a: "1" } })).rejects.toMatchObject({ name: "PreconditionFailed" });
    expect(ec2.commandCalls(CreateTagsCommand)).toHaveLength(0);
    await expect(harness(task).run({ instanceId: INSTANCE, tags: { a: "1" } }, { allowExempt: true })).resolves.toMatchObject({ instanceId: INSTANCE });
  });
});
