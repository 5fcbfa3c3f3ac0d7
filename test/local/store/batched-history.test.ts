import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it, vi } from "vitest";
import type { HistoryEvent } from "../../../workflows/local/history.js";
import { BatchedHistory } from "../../../workflows/local/store/batched-history.js";
import { groupCommitOf } from "../../../workflows/local/store/group-commit.js";
import { SqliteHistory } from "../../../workflows/local/store/sqlite-history.js";
import { batchedHistoryOn, useTempDatabases } from "./support.js";
import { failingCommit } from "../../support/failing-commit.js";

const temp = useTempDatabases();

const PARENT = "arn:aws:states:eu-west-1:123456789012:execution:incident:run-1";
const CHILD = "arn:aws:states:eu-west-1:123456789012:execution:contain:run-1";

const started = (parent?: string): HistoryEvent => ({ id: 1, previousEventId: 0, timestamp: "2026-11-24T12:00:00.000Z", type: "ExecutionStarted", details: { input: {}, stateMachineArn: "arn:sm", ...(parent ? { parentExecutionArn: parent } : {}) } });
const succeeded: HistoryEvent = { id: 2, previousEventId: 1, timestamp: "2026-11-24T12:00:01.000Z", type: "ExecutionSucceeded", details: { output: { ok: true } } };

describe("BatchedHistory", () => {
  it("writes what concurrent executions append in one transaction on the next turn, in order; drained settles once committed", async () => {
    const database = temp.fresh();
    const history = new SqliteHistory(database);
    const batched = new BatchedHistory(history, groupCommitOf(database));
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
    const batched = new BatchedHistory(history, groupCommitOf(database));
    batched.append(PARENT, started());
    await batched.drained(PARENT);
    batched.append(PARENT, started());
    batched.append(PARENT, succeeded);
    batched.append(CHILD, started());
    const results = await Promise.allSettled([batched.drained(PARENT), batched.drained(CHILD)]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "fulfilled"]);
    expect(String((results[0] as PromiseRejectedResult).reason)).toMatch(/already has event 1/);
    // Nothing of that execution after the refused write; what it committed before stays.
    expect(history.events(PARENT)).toEqual([started()]);
    expect(history.events(CHILD)).toHaveLength(1);
    await expect(batched.drained(PARENT)).rejects.toThrow(/already has event 1/);
  });

  it("writes the events an execution appends before its write runs as one write, rolled back whole when one is refused", async () => {
    const database = temp.fresh();
    const history = new SqliteHistory(database);
    const group = groupCommitOf(database);
    const works = vi.spyOn(group, "add");
    const forget = vi.spyOn(history, "forget");
    const batched = new BatchedHistory(history, group);
    batched.append(PARENT, started());
    batched.append(PARENT, succeeded);
    batched.append(CHILD, started());
    batched.append(CHILD, started()); // refused: event 1 again
    // One work (one savepoint) per execution.
    expect(works).toHaveBeenCalledTimes(2);
    const results = await Promise.allSettled([batched.drained(PARENT), batched.drained(CHILD)]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected"]);
    expect(history.events(PARENT)).toEqual([started(), succeeded]);
    // Stored as one chunk, by the store's appendAll.
    expect(database.db.prepare<[string], { n: number }>("SELECT count(*) AS n FROM history_chunks WHERE execution_arn = ?").get(PARENT)?.n).toBe(1);
    // The child's first event went with the refused one: a write is atomic.
    expect(history.events(CHILD)).toEqual([]);
    expect(forget.mock.calls).toEqual([[CHILD]]);
  });

  it("starts a new write after a drained marker or a link, so what follows them is written after them", async () => {
    const database = temp.fresh();
    const history = new SqliteHistory(database);
    const group = groupCommitOf(database);
    const works = vi.spyOn(group, "add");
    const batched = new BatchedHistory(history, group);
    batched.append(PARENT, started());
    const linked = batched.linkIncident(PARENT, "inc-1");
    batched.append(PARENT, succeeded);
    // The events, the link, its drained marker, then the last event: four works in that order.
    expect(works).toHaveBeenCalledTimes(4);
    await Promise.all([linked, batched.drained(PARENT)]);
    expect(history.events(PARENT)).toEqual([started(), succeeded]);
    expect(history.list({ incidentId: "inc-1" }).map((e) => e.executionArn)).toEqual([PARENT]);
  });

  it("drained answers for what was queued before it: a write refused after it, in the same batch, fails only later waiters", async () => {
    const database = temp.fresh();
    const history = new SqliteHistory(database);
    const batched = new BatchedHistory(history, groupCommitOf(database));
    batched.append(PARENT, started());
    const first = batched.drained(PARENT);
    batched.append(PARENT, started()); // refused: event 1 again, in the same batch
    const later = batched.drained(PARENT);
    await expect(first).resolves.toBeUndefined();
    await expect(later).rejects.toThrow(/already has event 1/);
    expect(history.events(PARENT)).toEqual([started()]);
  });

  it("fails every execution with queued writes when the database is gone, and the store forgets what it kept for them", async () => {
    const database = temp.fresh();
    const history = new SqliteHistory(database);
    const forget = vi.spyOn(history, "forget");
    const batched = new BatchedHistory(history, groupCommitOf(database));
    batched.append(PARENT, started());
    const pending = batched.drained(PARENT);
    database.close();
    await expect(pending).rejects.toThrow();
    // Its end will never be written, which is when the store would have let its documents go.
    expect(forget.mock.calls).toEqual([[PARENT]]);
  });

  it("rides the database's group commit: history, audit and journal writes of one turn are one transaction", async () => {
    const database = temp.fresh();
    const { group, history, batched } = batchedHistoryOn(database);
    // Transactions begun (a nested call joins the one open).
    let begun = 0;
    const immediate = database.immediate.bind(database);
    vi.spyOn(database, "immediate").mockImplementation((work) => {
      if (!database.db.inTransaction) begun += 1;
      return immediate(work);
    });
    // A scheduled batch takes the lock without waiting for it.
    const tryImmediate = database.tryImmediate.bind(database);
    vi.spyOn(database, "tryImmediate").mockImplementation((work) => {
      if (!database.db.inTransaction) begun += 1;
      return tryImmediate(work);
    });
    database.db.exec("CREATE TABLE other_writes (value TEXT NOT NULL)");
    batched.append(PARENT, started());
    const other = group.run(() => database.db.prepare("INSERT INTO other_writes (value) VALUES ('audit')").run().changes);
    batched.append(PARENT, succeeded);
    await Promise.all([batched.drained(PARENT), other]);
    expect(begun).toBe(1);
    expect(history.events(PARENT)).toEqual([started(), succeeded]);
    await expect(other).resolves.toBe(1);
  });

  it("keeps each execution's events in order across turns; drained waits only for what was queued before it", async () => {
    const database = temp.fresh();
    const history = new SqliteHistory(database);
    const batched = new BatchedHistory(history, groupCommitOf(database));
    const event = (id: number): HistoryEvent => ({ id, previousEventId: id - 1, timestamp: "2026-11-24T12:00:00.000Z", type: "PassStateEntered", details: { name: `S${id}`, input: {} } });
    batched.append(PARENT, started());
    batched.append(CHILD, started(PARENT));
    batched.append(PARENT, event(2));
    const firstTwo = batched.drained(PARENT);
    batched.append(CHILD, event(2));
    await firstTwo;
    expect(history.events(PARENT).map((e) => e.id)).toEqual([1, 2]);
    // Queued on the next turn, while nothing of it is committed yet.
    for (let id = 3; id <= 6; id += 1) batched.append(PARENT, event(id));
    const later = batched.drained(PARENT);
    expect(history.events(PARENT).map((e) => e.id)).toEqual([1, 2]);
    await later;
    await batched.drained(CHILD);
    expect(history.events(PARENT).map((e) => e.id)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(history.events(CHILD).map((e) => e.id)).toEqual([1, 2]);
  });

  it("a failed COMMIT rejects every waiter of its batch, audit and history alike, and loses nothing acknowledged before", async () => {
    const database = temp.fresh();
    const { group, history, batched } = batchedHistoryOn(database);
    batched.append(PARENT, started());
    await batched.drained(PARENT);

    batched.append(PARENT, succeeded);
    batched.append(CHILD, started(PARENT));
    const audit = group.run(() => "audited");
    // The COMMIT itself fails, after PARENT's write ran in its savepoint.
    const orphan = failingCommit(database, group);
    const settled = await Promise.allSettled([batched.drained(PARENT), batched.drained(CHILD), audit, orphan]);
    expect(settled.map((s) => s.status)).toEqual(["rejected", "rejected", "rejected", "rejected"]);
    expect(String((settled[0] as PromiseRejectedResult).reason)).toMatch(/FOREIGN KEY/);
    expect(database.db.inTransaction).toBe(false);
    // What was acknowledged stays; nothing of the failed batch is there.
    expect(history.events(PARENT)).toEqual([started()]);
    expect(history.executions()).toEqual([PARENT]);
    // The executions whose writes were lost stay failed: what comes after would not chain.
    await expect(batched.drained(CHILD)).rejects.toThrow(/FOREIGN KEY/);
    // The group itself goes on.
    await expect(group.run(() => "next")).resolves.toBe("next");
  });

  it("drained settles only once the writes queued before it commit, also when they wait behind another connection's lock", async () => {
    const dir = temp.dir();
    const database = temp.open(dir, 5000);
    const other = temp.open(dir);
    const history = new SqliteHistory(database);
    const batched = new BatchedHistory(history, groupCommitOf(database));
    other.db.exec("BEGIN IMMEDIATE");
    batched.append(PARENT, started());
    let done = false;
    const drained = batched.drained(PARENT).then(() => (done = true));
    await sleep(20); // put back and tried again, several times
    expect(done).toBe(false);
    batched.append(PARENT, succeeded);
    other.db.exec("COMMIT");
    await drained;
    expect(history.events(PARENT).map((e) => e.id)).toContain(1);
    await batched.drained(PARENT);
    expect(history.events(PARENT)).toEqual([started(), succeeded]);
  });
});
