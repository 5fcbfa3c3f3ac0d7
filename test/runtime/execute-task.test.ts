import { describe, expect, it } from "vitest";
import * as z from "zod";
import { defineTaskContract } from "../../functions/contract/task-contract.js";
import { implementTask } from "../../functions/contract/task.js";
import { InstanceId } from "../../functions/contract/aws-ids.js";
import { executeTask } from "../../functions/runtime/execute-task.js";
import { harness, INCIDENT_ID } from "../support/task-harness.js";

const contract = defineTaskContract({
  name: "test.counter",
  summary: "Counts its runs",
  risk: "reversible",
  csf: ["RS.MI-01"],
  input: z.object({ instanceId: InstanceId, note: z.string().optional() }),
  output: z.object({ instanceId: InstanceId, count: z.number(), note: z.string().optional() }),
  iam: [{ actions: ["ec2:CreateTags"], resources: ["*"] }],
  plan: "lists one change per resource",
  undo: { none: "test task" },
});

function counterTask(resources = 1, badOutput = false) {
  let runs = 0;
  const task = implementTask(contract, {
    plan: async ({ instanceId }) => ({ summary: `change ${instanceId}`, changes: Array.from({ length: resources }, (_, i) => ({ resource: `${instanceId}/${i}`, action: "Change", before: i, after: i + 1 })) }),
    run: async ({ instanceId, note }) => {
      runs += 1;
      return { output: badOutput ? ({ instanceId: "nope", count: runs }) : { instanceId, count: runs, ...(note ? { note } : {}) }, changes: [{ resource: instanceId, action: "Change", before: runs - 1, after: runs }], summary: `run ${runs}` };
    },
  });
  return { task, runs: () => runs };
}

const INSTANCE = "i-0123456789abcdef0";

describe("executeTask", () => {
  it("returns a plan summary with a stable digest and keeps the full plan in the journal", async () => {
    const { task } = counterTask(2);
    const h = harness(task);
    const first = await h.plan({ instanceId: INSTANCE });
    const second = await h.plan({ instanceId: INSTANCE });
    expect(first).toEqual({ digest: second.digest, summary: `change ${INSTANCE}`, changes: 2 });
    const recorded = h.journal.all().find((r) => r.mode === "plan");
    expect(recorded?.changes).toHaveLength(2);
    expect(recorded?.digest).toBe(first.digest);
  });

  it("refuses a plan larger than the step's blast radius", async () => {
    const { task } = counterTask(11);
    await expect(harness(task).plan({ instanceId: INSTANCE })).rejects.toMatchObject({ name: "PreconditionFailed", message: expect.stringMatching(/11 resources.*allows 10/) });
    await expect(harness(task).plan({ instanceId: INSTANCE }, { maxChanges: 20 })).resolves.toMatchObject({ changes: 11 });
  });

  it("runs a step once per incident and step; another step or item runs again", async () => {
    const { task, runs } = counterTask();
    const h = harness(task);
    await h.run({ instanceId: INSTANCE });
    await expect(h.run({ instanceId: INSTANCE })).resolves.toMatchObject({ count: 1 });
    expect(runs()).toBe(1);
    await h.run({ instanceId: INSTANCE }, { stepId: "contain/other-step" });
    await h.run({ instanceId: INSTANCE }, { item: 3 });
    await h.run({ instanceId: INSTANCE }, { incidentId: "inc-20261124-ffff0000" });
    expect(runs()).toBe(4);
  });

  it("fills every declared output field, undefined becoming null, for ResultSelector", async () => {
    const { task } = counterTask();
    await expect(harness(task).run({ instanceId: INSTANCE })).resolves.toEqual({ instanceId: INSTANCE, count: 1, note: null });
  });

  it("treats null inputs as absent (an optional field an earlier step saved as null)", async () => {
    const { task } = counterTask();
    await expect(harness(task).run({ instanceId: INSTANCE, note: null })).resolves.toMatchObject({ note: null });
  });

  it("refuses malformed envelopes, wrong tasks and bad input as InvalidInput, naming the field", async () => {
    const { task, runs } = counterTask();
    const h = harness(task);
    await expect(executeTask(task, { mode: "run" }, h.ports)).rejects.toMatchObject({ name: "InvalidInput", message: expect.stringContaining("input") });
    await expect(executeTask(task, null, h.ports)).rejects.toMatchObject({ name: "InvalidInput" });
    const envelope = { mode: "run", input: { instanceId: INSTANCE }, context: { incidentId: INCIDENT_ID, executionId: "x", runbookId: "test-runbook", stepId: "contain/x", task: "ec2.other" } };
    await expect(executeTask(task, envelope, h.ports)).rejects.toMatchObject({ name: "InvalidInput", message: expect.stringContaining("ec2.other") });
    await expect(executeTask(task, { ...envelope, context: { ...envelope.context, stepId: "../../etc" } }, h.ports)).rejects.toMatchObject({ name: "InvalidInput" });
    await expect(h.run({ instanceId: "i-123; rm -rf /" })).rejects.toMatchObject({ name: "InvalidInput", message: expect.stringContaining("instanceId") });
    expect(runs()).toBe(0);
  });

  it("refuses an output that breaks the contract, and records nothing", async () => {
    const { task } = counterTask(1, true);
    const h = harness(task);
    await expect(h.run({ instanceId: INSTANCE })).rejects.toMatchObject({ name: "InvalidOutput" });
    expect(h.journal.all()).toEqual([]);
  });

  it("returns the first recorded result when two runs race", async () => {
    const { task } = counterTask();
    const h = harness(task);
    const [a, b] = await Promise.all([h.run({ instanceId: INSTANCE }), h.run({ instanceId: INSTANCE })]);
    expect(a).toEqual(b);
    expect(h.journal.all().filter((r) => r.mode === "run")).toHaveLength(1);
  });
});

describe("executeTask journal keys", () => {
  it("keeps a step's own result apart from the failure recorded under the same step id", async () => {
    const { task: counter } = counterTask();
    const recorder = implementTask(
      defineTaskContract({
        name: "test.recorder",
        summary: "Records",
        risk: "read",
        csf: ["RS.MA"],
        input: z.object({ note: z.string() }),
        output: z.object({ recorded: z.boolean() }),
        iam: [],
      }),
      { run: async () => ({ output: { recorded: true }, changes: [], summary: "recorded" }) },
    );
    const step = { stepId: "contain/isolate" };
    const h = harness(counter);
    await h.run({ instanceId: INSTANCE }, step);
    // The failure recorder runs under the same incident and step id, through the same journal.
    const recorded = await executeTask(recorder, { mode: "run", input: { note: "x" }, context: { incidentId: INCIDENT_ID, executionId: "arn:x", runbookId: "test-runbook", stepId: "contain/isolate", task: "test.recorder" } }, h.ports);
    expect(recorded).toEqual({ recorded: true });
    await expect(h.run({ instanceId: INSTANCE }, step)).resolves.toMatchObject({ instanceId: INSTANCE, count: 1 });
    expect(h.journal.all().filter((r) => r.mode === "run").map((r) => r.task).sort()).toEqual(["test.counter", "test.recorder"]);
  });
});
