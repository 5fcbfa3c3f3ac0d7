import { describe, expect, it } from "vitest";
import type { HistoryEvent } from "../../workflows/local/history.js";
import { InMemoryHistory } from "../../workflows/local/history.js";
import { LocalEngine } from "../../workflows/local/local-engine.js";
import { TaskError } from "../../functions/contract/errors.js";
import { invoke, machine } from "./machines.js";

/** A clock that ticks one second per reading, so every timestamp is predictable. */
function tickingClock(start = Date.parse("2025-06-01T12:00:00Z")) {
  let readings = 0;
  return { now: () => new Date(start + 1000 * readings++) };
}

const withEachItem = machine({
  Classify: {
    Type: "Choice",
    Choices: [{ Variable: "$.items[0]", IsPresent: true, Next: "Prepare" }],
    Default: "Nothing",
  },
  Prepare: { Type: "Pass", Parameters: { "items.$": "$.items", "executionId.$": "$$.Execution.Id", "executionName.$": "$$.Execution.Name", "machine.$": "$$.StateMachine.Name" }, Next: "Each" },
  Each: {
    Type: "Map",
    ItemsPath: "$.items",
    ItemSelector: { "item.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index" },
    MaxConcurrency: 3,
    ItemProcessor: {
      ProcessorConfig: { Mode: "INLINE" },
      StartAt: "Touch",
      States: { Touch: { ...invoke("touch"), Retry: [{ ErrorEquals: ["Transient"], MaxAttempts: 2 }], ResultSelector: { "done.$": "$.Payload.done" }, End: true } },
    },
    ResultPath: "$.results",
    Next: "Done",
  },
  Nothing: { Type: "Succeed" },
  Done: { Type: "Succeed" },
});

/**
 * Causal order, counted (concurrent Map iterations interleave): no TaskScheduled before its state
 * was entered (or a failed attempt retried), no state exit before its task's success.
 */
function assertCausalOrder(events: readonly HistoryEvent[]) {
  const count = { entered: 0, scheduled: 0, failed: 0, succeeded: 0, exited: 0 };
  for (const event of events) {
    if (event.type === "TaskStateEntered") count.entered += 1;
    if (event.type === "TaskScheduled") count.scheduled += 1;
    if (event.type === "TaskFailed") count.failed += 1;
    if (event.type === "TaskSucceeded") count.succeeded += 1;
    if (event.type === "TaskStateExited") count.exited += 1;
    expect(count.scheduled).toBeLessThanOrEqual(count.entered + count.failed);
    expect(count.exited).toBeLessThanOrEqual(count.succeeded);
  }
}

describe("history", () => {
  it("numbers events 1..n with previousEventId and clock timestamps, in the order things happened", async () => {
    const history = new InMemoryHistory();
    let touches = 0;
    const engine = new LocalEngine({
      definitions: new Map([["t/history", withEachItem]]),
      tasks: (name) =>
        name === "touch"
          ? async (payload) => {
              touches += 1;
              if (touches === 2) throw new TaskError("Transient", "once");
              return { done: (payload as { item: string }).item };
            }
          : undefined,
      history,
      clock: tickingClock(),
      retryDelayScale: 0,
    });
    const run = engine.start("t/history", { items: ["a", "b", "c"] }, { name: "ordered" });
    const outcome = await run.result;
    expect(outcome).toMatchObject({
      status: "SUCCEEDED",
      output: {
        executionId: run.executionArn,
        executionName: "ordered",
        machine: "irflow-t-history",
        results: [{ done: "a" }, { done: "b" }, { done: "c" }],
      },
    });

    const events = history.events(run.executionArn);
    expect(events.map((e) => e.id)).toEqual(events.map((_, index) => index + 1));
    expect(events.map((e) => e.previousEventId)).toEqual(events.map((_, index) => index));
    // Stamped by the injected clock (one second per reading, the first for the start date), in order.
    const stamps = events.map((e) => Date.parse(e.timestamp));
    expect(stamps[0]).toBe(Date.parse("2025-06-01T12:00:01Z"));
    stamps.slice(1).forEach((stamp, index) => expect(stamp).toBeGreaterThan(stamps[index]!));

    const types = events.map((e) => e.type);
    expect(types.slice(0, 8)).toEqual(["ExecutionStarted", "ChoiceStateEntered", "ChoiceStateExited", "PassStateEntered", "PassStateExited", "MapStateEntered", "MapStateStarted", "MapIterationStarted"]);
    expect(events.find((e) => e.type === "MapStateStarted")?.details).toEqual({ name: "Each", length: 3 });
    expect(types.filter((t) => t === "MapIterationStarted")).toHaveLength(3);
    expect(types.filter((t) => t === "MapIterationSucceeded")).toHaveLength(3);
    expect(types.filter((t) => t === "TaskScheduled")).toHaveLength(4);
    expect(types.filter((t) => t === "TaskFailed")).toHaveLength(1);
    expect(types.slice(-5)).toEqual(["MapStateSucceeded", "MapStateExited", "SucceedStateEntered", "SucceedStateExited", "ExecutionSucceeded"]);
    assertCausalOrder(events);

    // Without concurrency, each attempt reads Entered → Scheduled → Started → Failed|Succeeded (→ Scheduled on retry) → Exited.
    const sequential = new LocalEngine({
      definitions: new Map([["t/sequential", machine({ A: { ...invoke("flaky"), Retry: [{ ErrorEquals: ["Transient"] }], Next: "B" }, B: { ...invoke("flaky"), End: true } })]]),
      tasks: () => {
        let calls = 0;
        return async () => {
          calls += 1;
          if (calls === 1) throw new TaskError("Transient", "once");
          return {};
        };
      },
      history,
      retryDelayScale: 0,
    });
    const second = sequential.start("t/sequential", {});
    await second.result;
    expect(history.events(second.executionArn).map((e) => e.type)).toEqual([
      "ExecutionStarted",
      "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskFailed", "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited",
      "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited",
      "ExecutionSucceeded",
    ]);
  });

  it("keeps each execution's events in causal order when many run at once (no Map: no macrotask wait per task)", async () => {
    const history = new InMemoryHistory();
    const engine = new LocalEngine({
      definitions: new Map([["t/many", machine({ A: { ...invoke("quick"), Next: "Check" }, Check: { Type: "Choice", Choices: [{ Variable: "$.Payload.n", NumericGreaterThanEquals: 0, Next: "B" }], Default: "B" }, B: { ...invoke("quick"), End: true } })]]),
      tasks: () => async (payload) => ({ n: (payload as { n?: number }).n ?? 0 }),
      history,
      retryDelayScale: 0,
    });
    const runs = Array.from({ length: 40 }, (_, n) => engine.start("t/many", { n }));
    const outcomes = await Promise.all(runs.map((run) => run.result));
    expect(outcomes.every((outcome) => outcome.status === "SUCCEEDED")).toBe(true);
    const task = ["TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited"];
    for (const run of runs) {
      expect(history.events(run.executionArn).map((e) => e.type)).toEqual(["ExecutionStarted", ...task, "ChoiceStateEntered", "ChoiceStateExited", ...task, "ExecutionSucceeded"]);
    }
  });

  it("keeps recorded events as they were: later changes by a task or to the library's objects change nothing", async () => {
    const history = new InMemoryHistory();
    let kept: { result: { list: number[] }; payload: Record<string, unknown> } | undefined;
    const engine = new LocalEngine({
      definitions: new Map([["t/immutable", machine({ Work: { ...invoke("keeps"), ResultSelector: { "list.$": "$.Payload.list" }, ResultPath: "$.work", End: true } })]]),
      tasks: () => async (payload) => {
        const result = { list: [1, 2] };
        kept = { result, payload: payload as Record<string, unknown> };
        return result;
      },
      history,
      retryDelayScale: 0,
    });
    const input = { doc: { n: 1 } };
    const run = engine.start("t/immutable", input);
    const outcome = await run.result;
    if (outcome.status !== "SUCCEEDED") throw new Error(outcome.status);
    const before = JSON.stringify(history.events(run.executionArn));
    // The execution's output is its last state's output (one copy serves both events).
    const recorded = history.events(run.executionArn);
    const lastExit = recorded.filter((e) => e.type.endsWith("StateExited")).at(-1)!;
    expect(recorded.at(-1)).toMatchObject({ type: "ExecutionSucceeded", details: { output: (lastExit.details as { output: unknown }).output } });

    // The task changes what it was given and what it returned; the caller its input; someone the
    // library's final output (the object the last events were copied from).
    kept!.result.list.push(3);
    kept!.payload.doc = "changed";
    input.doc.n = 2;
    (outcome.output as { work: { list: number[] } }).work.list.push(4);
    expect(JSON.stringify(history.events(run.executionArn))).toBe(before);
  });

  it("records a failure with its error and cause on ExecutionFailed", async () => {
    const history = new InMemoryHistory();
    const engine = new LocalEngine({
      definitions: new Map([["t/fails", machine({ Check: { Type: "Choice", Choices: [{ Variable: "$.go", BooleanEquals: true, Next: "Stop" }], Default: "Stop" }, Stop: { Type: "Fail", Error: "Stopped", Cause: "on purpose" } })]]),
      tasks: () => undefined,
      history,
    });
    const run = engine.start("t/fails", { go: true });
    await expect(run.result).resolves.toEqual({ status: "FAILED", error: "Stopped", cause: "on purpose" });
    expect(history.events(run.executionArn).map((e) => [e.type, e.details])).toEqual([
      ["ExecutionStarted", { input: { go: true }, stateMachineArn: "arn:aws:states:local:000000000000:stateMachine:irflow-t-fails" }],
      ["ChoiceStateEntered", { name: "Check", input: { go: true } }],
      ["ChoiceStateExited", { name: "Check", output: { go: true } }],
      ["FailStateEntered", { name: "Stop", input: { go: true } }],
      ["ExecutionFailed", { error: "Stopped", cause: "on purpose" }],
    ]);
  });

  it("waits for a slow history sink before settling the result, and reports a failing one", async () => {
    const stored: string[] = [];
    const slow = { append: async (_arn: string, event: HistoryEvent) => void (await new Promise((resolve) => setTimeout(resolve, 2)), stored.push(event.type)) };
    const definitions = new Map([["t/sink", machine({ Done: { Type: "Pass", End: true } })]]);
    const engine = new LocalEngine({ definitions, tasks: () => undefined, history: slow });
    await engine.start("t/sink", {}).result;
    expect(stored).toEqual(["ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]);

    const broken = new LocalEngine({ definitions, tasks: () => undefined, history: { append: () => Promise.reject(new Error("disk full")) } });
    await expect(broken.start("t/sink", {}).result).rejects.toThrow("disk full");

    const throwing = new LocalEngine({ definitions, tasks: () => undefined, history: { append: () => { throw new Error("read-only"); } } });
    await expect(throwing.start("t/sink", {}).result).rejects.toThrow("read-only");
  });

  it("keeps the order with a sink that answers some appends at once and others later", async () => {
    const stored: number[] = [];
    let calls = 0;
    const mixed = {
      append: (_arn: string, event: HistoryEvent) => {
        calls += 1;
        // Every other append is slow; the ones after it must still land after it.
        if (calls % 2 === 0) return new Promise<void>((resolve) => setTimeout(() => resolve(void stored.push(event.id)), 3));
        stored.push(event.id);
      },
    };
    const definitions = new Map([["t/mixed", machine({ A: { ...invoke("quick"), Next: "B" }, B: { Type: "Pass", Next: "C" }, C: { ...invoke("quick"), End: true } })]]);
    const engine = new LocalEngine({ definitions, tasks: () => async () => ({}), history: mixed, retryDelayScale: 0 });
    await expect(engine.start("t/mixed", {}).result).resolves.toMatchObject({ status: "SUCCEEDED" });
    expect(stored.length).toBeGreaterThan(10);
    expect(stored).toEqual(stored.map((_, index) => index + 1));
  });
});
