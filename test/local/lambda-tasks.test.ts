import { describe, expect, it } from "vitest";
import { TaskError } from "../../functions/contract/errors.js";
import { engineFor, eventually, invoke, machine } from "./machines.js";

describe.concurrent("lambda:invoke tasks", () => {
  it("passes the Payload to the task and its result through the generated ResultSelector", async () => {
    const payloads: unknown[] = [];
    const { engine } = engineFor(
      {
        "t/select": machine({
          Describe: {
            ...invoke("ec2.describe-instance"),
            Parameters: { FunctionName: "${Task:ec2.describe-instance}", Payload: { mode: "run", input: { "instanceId.$": "$.resource.instanceId" } } },
            ResultSelector: { "instanceId.$": "$.Payload.instanceId", "state.$": "$.Payload.state", "status.$": "$.StatusCode" },
            ResultPath: "$.instance",
            End: true,
          },
        }),
      },
      {
        "ec2.describe-instance": async (payload) => {
          payloads.push(payload);
          return { instanceId: "i-0123456789abcdef0", state: "running", launchTime: new Date("2025-01-01T00:00:00Z") };
        },
      },
    );
    const outcome = await engine.start("t/select", { resource: { instanceId: "i-0123456789abcdef0" } }).result;
    expect(payloads).toEqual([{ mode: "run", input: { instanceId: "i-0123456789abcdef0" } }]);
    expect(outcome).toEqual({
      status: "SUCCEEDED",
      output: { resource: { instanceId: "i-0123456789abcdef0" }, instance: { instanceId: "i-0123456789abcdef0", state: "running", status: 200 } },
    });
  });

  it("gives the task a copy of its payload and keeps what JSON makes of its result, whatever the task does with either afterwards", async () => {
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    const kept: { payload?: { input: Record<string, unknown> }; result?: Record<string, unknown> } = {};
    const { engine, history } = engineFor(
      { "t/copies": machine({ Copy: { ...invoke("copier"), Parameters: { FunctionName: "${Task:copier}", Payload: { "input.$": "$" } }, ResultPath: "$.result", End: true } }) },
      {
        copier: async (payload) => {
          kept.payload = payload as { input: Record<string, unknown> };
          kept.payload.input.changed = "by the task";
          kept.result = { when: new Date("2025-01-01T00:00:00Z"), at: new Point(1, 2), gone: undefined, nan: Number.NaN, list: [1, undefined] };
          return kept.result;
        },
      },
    );
    const run = engine.start("t/copies", { keep: "me" });
    const outcome = await run.result;
    kept.result!.when = "changed later";
    (kept.result!.list as unknown[]).push("more");
    const expected = { when: "2025-01-01T00:00:00.000Z", at: { x: 1, y: 2 }, nan: null, list: [1, null] };
    expect(outcome).toEqual({ status: "SUCCEEDED", output: { keep: "me", result: { Payload: expected, StatusCode: 200, ExecutedVersion: "$LATEST" } } });
    const events = history.events(run.executionArn);
    expect(events.find((e) => e.type === "TaskScheduled")?.details).toMatchObject({ parameters: { Payload: { input: { keep: "me" } } } });
    expect(events.find((e) => e.type === "TaskScheduled")?.details).not.toMatchObject({ parameters: { Payload: { input: { changed: "by the task" } } } });
    expect(events.find((e) => e.type === "TaskSucceeded")?.details).toMatchObject({ output: { Payload: expected } });
    expect(events.find((e) => e.type === "ExecutionStarted")?.details).toMatchObject({ input: { keep: "me" } });
  });

  it("retries a Transient error with the state's Retry and succeeds on the third attempt", async () => {
    let attempts = 0;
    const { engine, history } = engineFor(
      {
        "t/retry": machine({
          // 30 s intervals: only retryDelayScale 0 keeps this test fast.
          Flaky: { ...invoke("flaky"), Retry: [{ ErrorEquals: ["Transient"], IntervalSeconds: 30, MaxAttempts: 3, BackoffRate: 2 }], End: true },
        }),
      },
      {
        flaky: async () => {
          attempts += 1;
          if (attempts < 3) throw new TaskError("Transient", `throttled (attempt ${attempts})`, "RequestLimitExceeded");
          return { attempts };
        },
      },
    );
    const run = engine.start("t/retry", {});
    await expect(run.result).resolves.toMatchObject({ status: "SUCCEEDED", output: { Payload: { attempts: 3 } } });
    const events = history.events(run.executionArn);
    expect(events.filter((e) => e.type === "TaskScheduled")).toHaveLength(3);
    const failures = events.filter((e) => e.type === "TaskFailed");
    expect(failures.map((e) => e.details)).toEqual([
      expect.objectContaining({ error: "Transient", cause: JSON.stringify({ errorType: "Transient", errorMessage: "throttled (attempt 1)", trace: [] }) }),
      expect.objectContaining({ error: "Transient" }),
    ]);
  });

  it("keeps the error's name for Catch and the Lambda error payload as its Cause", async () => {
    const { engine } = engineFor(
      {
        "t/catch": machine({
          Act: { ...invoke("act"), Retry: [{ ErrorEquals: ["Transient"], MaxAttempts: 2 }], Catch: [{ ErrorEquals: ["NotFound"], ResultPath: "$.error", Next: "Missing" }], End: true },
          Missing: { Type: "Pass", End: true },
        }),
      },
      {
        act: async () => {
          throw new TaskError("NotFound", "instance i-0abc is gone");
        },
      },
    );
    const outcome = await engine.start("t/catch", { a: 1 }).result;
    expect(outcome).toEqual({ status: "SUCCEEDED", output: { a: 1, error: { Error: "NotFound", Cause: JSON.stringify({ errorType: "NotFound", errorMessage: "instance i-0abc is gone", trace: [] }) } } });
  });

  it("fails the execution with the task's error when nothing catches it", async () => {
    const { engine } = engineFor({ "t/uncaught": machine({ Act: { ...invoke("act"), End: true } }) }, { act: () => Promise.reject(new TaskError("Forbidden", "no ec2:ModifyInstanceAttribute")) });
    const outcome = await engine.start("t/uncaught", {}).result;
    expect(outcome).toMatchObject({ status: "FAILED", error: "Forbidden", cause: expect.stringContaining("no ec2:ModifyInstanceAttribute") });
  });

  it("aborts the AbortSignal of a running handler when the execution is aborted", async () => {
    let seen: AbortSignal | undefined;
    const { engine, history } = engineFor(
      { "t/abort": machine({ Wait: { ...invoke("slow"), End: true } }) },
      {
        slow: (_payload, signal) => {
          seen = signal;
          return new Promise((_, reject) => signal.addEventListener("abort", () => reject(new Error("stopped")), { once: true }));
        },
      },
    );
    const run = engine.start("t/abort", {});
    const signal = await eventually(() => seen);
    expect(signal.aborted).toBe(false);
    run.abort("responder stopped it");
    await expect(run.result).resolves.toEqual({ status: "ABORTED" });
    expect(signal.aborted).toBe(true);
    const events = history.events(run.executionArn);
    expect(events.at(-1)).toMatchObject({ type: "ExecutionAborted", details: { cause: "responder stopped it" } });
    expect(events.map((e) => e.type)).not.toContain("TaskFailed");
    expect(engine.describeExecution(run.executionArn)).toMatchObject({ status: "ABORTED", stopDate: expect.any(Date) });
  });

  it("times a task out after its TimeoutSeconds (not the library's 60 s default) and aborts its signal", async () => {
    let seen: AbortSignal | undefined;
    const { engine, history } = engineFor(
      {
        "t/timeout": machine({
          Hang: {
            ...invoke("hang"),
            TimeoutSeconds: 1,
            // States.TaskFailed must not match a timeout, as in AWS.
            Catch: [{ ErrorEquals: ["States.TaskFailed"], Next: "Wrong" }, { ErrorEquals: ["States.Timeout"], ResultPath: "$.error", Next: "TimedOut" }],
            End: true,
          },
          Wrong: { Type: "Fail", Error: "Wrong" },
          TimedOut: { Type: "Pass", End: true },
        }),
      },
      {
        hang: (_payload, signal) => {
          seen = signal;
          return new Promise(() => undefined);
        },
      },
    );
    const run = engine.start("t/timeout", {});
    const outcome = await run.result;
    expect(outcome).toMatchObject({ status: "SUCCEEDED", output: { error: { Error: "States.Timeout" } } });
    expect(seen?.aborted).toBe(true);
    const types = history.events(run.executionArn).map((e) => e.type);
    expect(types.slice(1, 6)).toEqual(["TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskTimedOut", "TaskStateExited"]);
  });

  it("times the execution out after the machine's TimeoutSeconds", async () => {
    let seen: AbortSignal | undefined;
    const { engine, history } = engineFor(
      { "t/execution-timeout": machine({ Hang: { ...invoke("hang"), TimeoutSeconds: 30, End: true } }, { TimeoutSeconds: 1 }) },
      {
        hang: (_payload, signal) => {
          seen = signal;
          return new Promise(() => undefined);
        },
      },
    );
    const run = engine.start("t/execution-timeout", {});
    await expect(run.result).resolves.toEqual({ status: "TIMED_OUT" });
    expect(seen?.aborted).toBe(true);
    expect(history.events(run.executionArn).at(-1)?.type).toBe("ExecutionTimedOut");
  });
});
