import { describe, expect, it } from "vitest";
import type { HistoryEvent } from "../../../workflows/local/history.js";
import { BatchedHistory } from "../../../workflows/local/store/batched-history.js";
import { SqliteHistory } from "../../../workflows/local/store/sqlite-history.js";
import { useTempDatabases } from "./support.js";

const temp = useTempDatabases();

const PARENT = "arn:aws:states:eu-west-1:123456789012:execution:incident:run-1";
const CHILD = "arn:aws:states:eu-west-1:123456789012:execution:contain:run-1";

const started = (parent?: string): HistoryEvent => ({ id: 1, previousEventId: 0, timestamp: "2026-11-24T12:00:00.000Z", type: "ExecutionStarted", details: { input: {}, stateMachineArn: "arn:sm", ...(parent ? { parentExecutionArn: parent } : {}) } });
const succeeded: HistoryEvent = { id: 2, previousEventId: 1, timestamp: "2026-11-24T12:00:01.000Z", type: "ExecutionSucceeded", details: { output: { ok: true } } };

describe("BatchedHistory", () => {
  it("writes what concurrent executions append in one transaction on the next turn, in order; drained settles once committed", async () => {
    const database = temp.fresh();
    const history = new SqliteHistory(database);
    const batched = new BatchedHistory(history, database);
    batched.append(PARENT, started());
    batched.append(CHILD, started(PARENT));
    const linked = batched.linkIncident(PARENT, "inc-1");
    batched.append(PARENT, succeeded);
    // Nothing written before the next turn: another reader sees all of the batch or none of it.
    expect(history.executions()).toEqual([]);
    await Promise.all([linked, batched.drained(PARENT), batched.drained(CHILD)]);
    expect(history.executions()).toEqual([PARENT, CHILD]);
    expect(history.events(PARENT)).toEqual([started(), succeeded]);
    expect(history.list({ incidentId: "inc-1" }).map((e) => [e.executionArn, e.status])).toEqual([
      [PARENT, "SUCCEEDED"],
      [CHILD, "RUNNING"],
    ]);
    // Nothing queued: drained at once.
    await expect(batched.drained(PARENT)).resolves.toBeUndefined();
  });

  it("fails only the execution whose write was refused (a duplicate event); the rest of the batch is kept", async () => {
    const database = temp.fresh();
    const history = new SqliteHistory(database);
    const batched = new BatchedHistory(history, database);
    batched.append(PARENT, started());
    batched.append(PARENT, started());
    batched.append(PARENT, succeeded);
    batched.append(CHILD, started());
    const results = await Promise.allSettled([batched.drained(PARENT), batched.drained(CHILD)]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "fulfilled"]);
    expect(String((results[0] as PromiseRejectedResult).reason)).toMatch(/already has event 1/);
    // Nothing of that execution after the refused write.
    expect(history.events(PARENT)).toEqual([started()]);
    expect(history.events(CHILD)).toHaveLength(1);
    await expect(batched.drained(PARENT)).rejects.toThrow(/already has event 1/);
  });

  it("fails every execution with queued writes when the database is gone", async () => {
    const database = temp.fresh();
    const batched = new BatchedHistory(new SqliteHistory(database), database);
    batched.append(PARENT, started());
    const pending = batched.drained(PARENT);
    database.close();
    await expect(pending).rejects.toThrow();
  });
});
