import { DeleteTagsCommand, DescribeInstancesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import contract from "../../../functions/ec2/untag-instance.contract.js";
import task from "../../../functions/ec2/untag-instance.js";
import { expectCallsDeclared } from "../../support/iam-coverage.js";
import { awsError, harness } from "../../support/task-harness.js";
import { described, INSTANCE, instance } from "./instance-fixtures.js";

const ec2 = mockClient(EC2Client);
const tagged = (tags: Record<string, string>) => described(instance({ tags }));

describe("ec2.untag-instance", () => {
  beforeEach(() => ec2.reset());
  afterEach(() => expectCallsDeclared(contract, { EC2Client: ec2 }));

  it("plans the removal of the tags that are there, with DryRun", async () => {
    ec2.on(DescribeInstancesCommand).resolves(tagged({ "irflow:incident": "inc-1", "irflow:status": "quarantined", Name: "web" }));
    ec2.on(DeleteTagsCommand).rejects(awsError("DryRunOperation", 412));
    const plan = await harness(task).plan({ instanceId: INSTANCE, keys: ["irflow:incident", "irflow:status", "absent"] });
    expect(plan.changes).toBe(2);
    const calls = ec2.commandCalls(DeleteTagsCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input.DryRun).toBe(true);
  });

  it("removes the tags by value, records their values and an undo that puts them back", async () => {
    ec2.on(DescribeInstancesCommand).resolves(tagged({ "irflow:incident": "inc-1", "irflow:status": "quarantined", Name: "web" }));
    ec2.on(DeleteTagsCommand).resolves({});
    const h = harness(task);
    const output = await h.run({ instanceId: INSTANCE, keys: ["irflow:incident", "irflow:status", "absent"] });
    expect(output).toEqual({ instanceId: INSTANCE, removed: { "irflow:incident": "inc-1", "irflow:status": "quarantined" } });
    expect(ec2.commandCalls(DeleteTagsCommand)[0]!.args[0].input).toEqual({
      Resources: [INSTANCE],
      Tags: [
        { Key: "irflow:incident", Value: "inc-1" },
        { Key: "irflow:status", Value: "quarantined" },
      ],
    });
    const [record] = h.journal.all();
    expect(record!.changes).toEqual([
      { resource: INSTANCE, action: "DeleteTags irflow:incident", before: "inc-1", after: null },
      { resource: INSTANCE, action: "DeleteTags irflow:status", before: "quarantined", after: null },
    ]);
    expect(record!.undo).toEqual({ task: "ec2.tag-instance", input: { instanceId: INSTANCE, tags: { "irflow:incident": "inc-1", "irflow:status": "quarantined" } } });
  });

  it("runs once per incident and step: a repeat returns the recorded result without calling AWS", async () => {
    ec2.on(DescribeInstancesCommand).resolves(tagged({ a: "1" }));
    ec2.on(DeleteTagsCommand).resolves({});
    const h = harness(task);
    const first = await h.run({ instanceId: INSTANCE, keys: ["a"] });
    await expect(h.run({ instanceId: INSTANCE, keys: ["a"] })).resolves.toEqual(first);
    expect(ec2.commandCalls(DeleteTagsCommand)).toHaveLength(1);
    expect(ec2.commandCalls(DescribeInstancesCommand)).toHaveLength(1);
  });

  it("changes nothing, and says so, when the tags are already gone", async () => {
    ec2.on(DescribeInstancesCommand).resolves(tagged({ Name: "web" }));
    const h = harness(task);
    await expect(h.run({ instanceId: INSTANCE, keys: ["a"] })).resolves.toEqual({ instanceId: INSTANCE, removed: {} });
    expect(ec2.commandCalls(DeleteTagsCommand)).toHaveLength(0);
    expect(h.journal.all()[0]!.summary).toMatch(/already/);
    expect(h.journal.all()[0]!.undo).toBeUndefined();
  });

  it("refuses to remove a value that ec2.tag-instance could not put back", async () => {
    ec2.on(DescribeInstancesCommand).resolves(tagged({ note: "owner; see ticket #42" }));
    await expect(harness(task).run({ instanceId: INSTANCE, keys: ["note"] })).rejects.toMatchObject({ name: "PreconditionFailed", message: expect.stringContaining("note") });
    expect(ec2.commandCalls(DeleteTagsCommand)).toHaveLength(0);
  });

  it("maps throttling to Transient", async () => {
    ec2.on(DescribeInstancesCommand).resolves(tagged({ a: "1" }));
    ec2.on(DeleteTagsCommand).rejects(awsError("RequestLimitExceeded", 503));
    await expect(harness(task).run({ instanceId: INSTANCE, keys: ["a"] })).rejects.toMatchObject({ name: "Transient" });
  });

  it("reports a missing instance as NotFound with its id", async () => {
    ec2.on(DescribeInstancesCommand).rejects(awsError("InvalidInstanceID.NotFound"));
    await expect(harness(task).run({ instanceId: INSTANCE, keys: ["a"] })).rejects.toMatchObject({ name: "NotFound", message: expect.stringContaining(INSTANCE) });
  });

  it("refuses bad input before any AWS call", async () => {
    await expect(harness(task).run({ instanceId: INSTANCE, keys: [] })).rejects.toMatchObject({ name: "InvalidInput" });
    await expect(harness(task).run({ instanceId: INSTANCE, keys: ["aws:cloudformation:stack-name"] })).rejects.toMatchObject({ name: "InvalidInput" });
    await expect(harness(task).run({ instanceId: "i-0123456789abcdef0\nrm", keys: ["a"] })).rejects.toMatchObject({ name: "InvalidInput" });
    expect(ec2.calls()).toHaveLength(0);
  });

  it("refuses an instance tagged exempt unless the step allows it", async () => {
    ec2.on(DescribeInstancesCommand).resolves(tagged({ "irflow:exempt": "yes", a: "1" }));
    ec2.on(DeleteTagsCommand).resolves({});
    await expect(harness(task).run({ instanceId: INSTANCE, keys: ["a"] })).rejects.toMatchObject({ name: "PreconditionFailed", detail: "exempt" });
    expect(ec2.commandCalls(DeleteTagsCommand)).toHaveLength(0);
    await expect(harness(task).run({ instanceId: INSTANCE, keys: ["a"] }, { allowExempt: true })).resolves.toMatchObject({ removed: { a: "1" } });
  });
});
