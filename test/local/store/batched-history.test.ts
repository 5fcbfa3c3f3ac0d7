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
  it("writes what concurrent executions append in one transaction, in order, and settles each append once committed", async () => {
    const database = temp.fresh();
    const history = new SqliteHistory(database);
    const batched = new BatchedHistory(history, database);
    const appends = [batched.append(PARENT, started()), batched.append(CHILD, started(PARENT)), batched.linkIncident(PARENT, "inc-1"), batched.append(PARENT, succeeded)];
    // Nothing written before the next turn: another reader sees all of the batch or none of it.
    expect(history.executions()).toEqual([]);
    await Promise.all(appends);
    expect(history.executions()).toEqual([PARENT, CHILD]);
    expect(history.events(PARENT)).toEqual([started(), succeeded]);
    expect(history.list({ incidentId: "inc-1" }).map((e) => [e.executionArn, e.status])).toEqual([
      [PARENT, "SUCCEEDED"],
      [CHILD, "RUNNING"],
    ]);
  });

  it("fails only the append that was refused (a duplicate event); the rest of its batch is kept", async () => {
    const database = temp.fresh();
    const history = new SqliteHistory(database);
    const batched = new BatchedHistory(history, database);
    const results = await Promise.allSettled([batched.append(PARENT, started()), batched.append(PARENT, started()), batched.append(CHILD, started())]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/already has event 1/);
    expect(history.events(PARENT)).toHaveLength(1);
    expect(history.events(CHILD)).toHaveLength(1);
  });

  it("rejects every queued append when the database is gone", async () => {
    const database = temp.fresh();
    const batched = new BatchedHistory(new SqliteHistory(database), database);
    const pending = batched.append(PARENT, started());
    database.close();
    await expect(pending).rejects.toThrow();
  });
});
