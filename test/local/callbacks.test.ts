import { describe, expect, it } from "vitest";
import { approval, engineFor, eventually, invoke, machine } from "./machines.js";

/** Approve → Act, with the compiler's Catches: Timeout and Rejected go to their own states. */
const approvalMachine = (extra: Record<string, unknown> = {}) =>
  machine({
    Approve: {
      ...approval(extra),
      Catch: [
        { ErrorEquals: ["States.Timeout"], ResultPath: "$.error", Next: "Timed out" },
        { ErrorEquals: ["Rejected"], ResultPath: "$.error", Next: "Rejected" },
      ],
      Next: "Act",
    },
    Act: { ...invoke("act"), ResultPath: null, End: true },
    "Timed out": { Type: "Pass", End: true },
    Rejected: { Type: "Pass", End: true },
  });

function approvalEngine(extra: Record<string, unknown> = {}) {
  const requests: { taskToken: string; note: string; executionId: string }[] = [];
  const acted: unknown[] = [];
  const { engine, history } = engineFor(
    { "t/approve": approvalMachine(extra) },
    {
      "approval.request": async (payload) => {
        requests.push(payload as (typeof requests)[number]);
        return { approvalId: `a-${requests.length}` };
      },
      act: async (payload) => {
        acted.push(payload);
        return {};
      },
    },
  );
  return { engine, history, requests, acted };
}

describe.concurrent("callback tasks (lambda:invoke.waitForTaskToken)", () => {
  it("substitutes a fresh token everywhere, waits, and continues with SendTaskSuccess's output", async () => {
    const { engine, history, requests, acted } = approvalEngine();
    const run = engine.start("t/approve", { incidentId: "inc-1" });
    const pending = await eventually(() => engine.pendingTokens()[0]);
    const request = requests[0]!;
    expect(request.taskToken).toBe(pending.token);
    expect(request.note).toBe(`answer with ${pending.token}`);
    expect(request.executionId).toBe(run.executionArn);
    expect(pending).toMatchObject({ executionArn: run.executionArn, stateName: "Approve", taskName: "approval.request", payload: request });
    expect(acted).toEqual([]);

    engine.sendTaskSuccess(pending.token, { approvalId: "a-1", approvers: ["alice"], decidedAt: "2025-01-01T00:00:00Z" });
    await expect(run.result).resolves.toEqual({
      status: "SUCCEEDED",
      output: { incidentId: "inc-1", approval: { approvalId: "a-1", approvers: ["alice"], decidedAt: "2025-01-01T00:00:00Z" } },
    });
    expect(acted).toHaveLength(1);
    expect(engine.pendingTokens()).toEqual([]);
    // The token never appears in clear in the history.
    expect(JSON.stringify(history.events(run.executionArn))).not.toContain(pending.token);
    expect(history.events(run.executionArn).find((e) => e.type === "TaskSubmitted")?.details).toMatchObject({ taskToken: expect.stringMatching(/^sha256:[0-9a-f]{16}$/) });
  });

  it("mints a different token for every attempt and execution", async () => {
    const { engine, requests } = approvalEngine();
    engine.start("t/approve", {});
    engine.start("t/approve", {});
    const pending = await eventually(() => (engine.pendingTokens().length === 2 ? engine.pendingTokens() : undefined));
    expect(new Set(pending.map((p) => p.token)).size).toBe(2);
    expect(requests.map((r) => r.taskToken).sort()).toEqual(pending.map((p) => p.token).sort());
    for (const p of pending) engine.sendTaskFailure(p.token, "Rejected", "cleanup");
  });

  it("takes the Rejected Catch on SendTaskFailure, with the error and cause given", async () => {
    const { engine, acted } = approvalEngine();
    const run = engine.start("t/approve", {});
    const pending = await eventually(() => engine.pendingTokens()[0]);
    engine.sendTaskFailure(pending.token, "Rejected", "bob: not during business hours");
    await expect(run.result).resolves.toEqual({ status: "SUCCEEDED", output: { error: { Error: "Rejected", Cause: "bob: not during business hours" } } });
    expect(acted).toEqual([]);
  });

  it("takes the States.Timeout Catch when nobody answers within TimeoutSeconds, and refuses a late answer", async () => {
    const { engine, history, acted } = approvalEngine({ TimeoutSeconds: 1 });
    const run = engine.start("t/approve", {});
    const pending = await eventually(() => engine.pendingTokens()[0]);
    await expect(run.result).resolves.toMatchObject({ status: "SUCCEEDED", output: { error: { Error: "States.Timeout" } } });
    expect(acted).toEqual([]);
    expect(engine.pendingTokens()).toEqual([]);
    expect(() => engine.sendTaskSuccess(pending.token, {})).toThrow(expect.objectContaining({ name: "TaskTimedOut" }));
    expect(history.events(run.executionArn).map((e) => e.type)).toContain("TaskTimedOut");
  });

  it("refuses SendTaskSuccess for a token never minted, and for one already used", async () => {
    const { engine } = approvalEngine();
    expect(() => engine.sendTaskSuccess("not-a-token", {})).toThrow(expect.objectContaining({ name: "TaskDoesNotExist" }));
    expect(() => engine.sendTaskHeartbeat("not-a-token")).toThrow(expect.objectContaining({ name: "TaskDoesNotExist" }));
    const run = engine.start("t/approve", {});
    const pending = await eventually(() => engine.pendingTokens()[0]);
    engine.sendTaskSuccess(pending.token, { ok: true });
    expect(() => engine.sendTaskSuccess(pending.token, { ok: true })).toThrow(expect.objectContaining({ name: "TaskTimedOut" }));
    expect(() => engine.sendTaskFailure(pending.token, "Rejected")).toThrow(expect.objectContaining({ name: "TaskTimedOut" }));
    await expect(run.result).resolves.toMatchObject({ status: "SUCCEEDED" });
  });

  it("keeps a task alive while heartbeats arrive within HeartbeatSeconds", async () => {
    const { engine, history } = approvalEngine({ HeartbeatSeconds: 1, TimeoutSeconds: 5 });
    const run = engine.start("t/approve", {});
    const pending = await eventually(() => engine.pendingTokens()[0]);
    for (let beat = 0; beat < 2; beat += 1) {
      await new Promise((resolve) => setTimeout(resolve, 600));
      engine.sendTaskHeartbeat(pending.token);
    }
    engine.sendTaskSuccess(pending.token, { approved: true });
    await expect(run.result).resolves.toMatchObject({ status: "SUCCEEDED", output: { approval: { approved: true } } });
    expect(history.events(run.executionArn).find((e) => e.type === "TaskScheduled")?.details).toMatchObject({ heartbeatInSeconds: 1, timeoutInSeconds: 5 });
  });

  it("times out with States.Timeout when a heartbeat is missed", async () => {
    const { engine, history } = approvalEngine({ HeartbeatSeconds: 1, TimeoutSeconds: 5 });
    const started = Date.now();
    const run = engine.start("t/approve", {});
    const pending = await eventually(() => engine.pendingTokens()[0]);
    await expect(run.result).resolves.toMatchObject({ status: "SUCCEEDED", output: { error: { Error: "States.Timeout", Cause: "no heartbeat within 1 seconds" } } });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(() => engine.sendTaskHeartbeat(pending.token)).toThrow(expect.objectContaining({ name: "TaskTimedOut" }));
    expect(history.events(run.executionArn).find((e) => e.type === "TaskTimedOut")?.details).toMatchObject({ error: "States.Timeout", cause: "no heartbeat within 1 seconds" });
  });

  it("fails the task with the approval function's own error, before any token is waited for", async () => {
    const { engine } = engineFor({ "t/approve": approvalMachine() }, { "approval.request": () => Promise.reject(new Error("approvals table missing")), act: async () => ({}) });
    const outcome = await engine.start("t/approve", {}).result;
    expect(outcome).toMatchObject({ status: "FAILED", error: "Error", cause: expect.stringContaining("approvals table missing") });
    expect(engine.pendingTokens()).toEqual([]);
  });

  it("closes the token when the execution is aborted", async () => {
    const { engine } = approvalEngine();
    const run = engine.start("t/approve", {});
    const pending = await eventually(() => engine.pendingTokens()[0]);
    run.abort();
    await expect(run.result).resolves.toEqual({ status: "ABORTED" });
    expect(engine.pendingTokens()).toEqual([]);
    expect(() => engine.sendTaskSuccess(pending.token, {})).toThrow(expect.objectContaining({ name: "TaskTimedOut" }));
  });
});
