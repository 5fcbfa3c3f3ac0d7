import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { GroupCommit } from "../../../workflows/local/store/group-commit.js";
import { holdLockElsewhere } from "./lock-holder.js";
import { scratch, scratchValues as values, useTempDatabases } from "./support.js";

const temp = useTempDatabases();


/** Which of `promises` have settled so far (after the microtasks queued now have run). */
async function settledSoFar(promises: readonly Promise<unknown>[]): Promise<boolean[]> {
  const flags = promises.map(() => false);
  promises.forEach((promise, i) => void promise.then(() => (flags[i] = true), () => (flags[i] = true)));
  await Promise.resolve();
  return flags;
}

/** A group commit on one connection to a fresh file with a scratch table, and a second connection to the same file. */
function twoConnections(busyTimeoutMs: number) {
  const dir = temp.dir();
  const database = temp.open(dir, busyTimeoutMs);
  const other = temp.open(dir);
  return { database, other, insert: scratch(database), group: new GroupCommit(database) };
}

describe("GroupCommit while another connection holds the write lock", () => {
  it("keeps the batch, in order, without blocking the thread, and commits it (with what was queued since) once the lock is free", async () => {
    const { other, insert, group } = twoConnections(5000);
    // Another runner's batch, on this very thread: a wait that blocked the thread would never end.
    other.db.exec("BEGIN IMMEDIATE");
    other.db.prepare("INSERT INTO scratch (value) VALUES ('other')").run();

    const first = [group.run(() => (insert("a"), "a")), group.run(() => (insert("b"), "b"))];
    await sleep(30); // many retries: timers run, so the thread is free
    expect(await settledSoFar(first)).toEqual([false, false]);
    expect(group.pending).toBe(true);
    const later = group.run(() => (insert("c"), "c"));
    await sleep(5);
    expect(await settledSoFar([...first, later])).toEqual([false, false, false]);

    other.db.exec("COMMIT");
    await expect(Promise.all([...first, later])).resolves.toEqual(["a", "b", "c"]);
    expect(values(other)).toEqual(["other", "a", "b", "c"]);
    expect(group.pending).toBe(false);
  });

  it("still rolls back a failing work alone once the lock is had", async () => {
    const { database, other, insert, group } = twoConnections(5000);
    other.db.exec("BEGIN IMMEDIATE");
    const works = [group.run(() => insert("a")), group.run(() => insert("a")), group.run(() => insert("b"))];
    await sleep(10);
    other.db.exec("ROLLBACK");
    const settled = await Promise.allSettled(works);
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(values(database)).toEqual(["a", "b"]);
  });

  it("rejects the batch with SQLITE_BUSY, having written nothing, once the lock has been held past the busy timeout (one timeout, not two); later works go on", async () => {
    const { database, other, insert, group } = twoConnections(300);
    other.db.exec("BEGIN IMMEDIATE");
    const started = performance.now();
    const works = [group.run(() => insert("a")), group.run(() => insert("b"))];
    const settled = await Promise.allSettled(works);
    const waited = performance.now() - started;
    other.db.exec("ROLLBACK");

    expect(settled.map((s) => s.status)).toEqual(["rejected", "rejected"]);
    expect((settled[0] as PromiseRejectedResult).reason).toMatchObject({ code: "SQLITE_BUSY" });
    expect(waited).toBeGreaterThanOrEqual(295);
    // A last blocking wait for the lock would add a second timeout (>= 600 ms; the holder is on this thread).
    expect(waited).toBeLessThan(550);
    expect(values(database)).toEqual([]);
    await group.run(() => insert("c"));
    expect(values(other)).toEqual(["c"]);
  });

  it("a reader's flush writes a put-back batch at once, waiting for the lock, in order after the holder's writes", async () => {
    const dir = temp.dir();
    const database = temp.open(dir, 5000);
    const insert = scratch(database);
    const group = new GroupCommit(database);
    const holder = holdLockElsewhere(database.path, 80);
    await holder.held;
    const works = [group.run(() => insert("a")), group.run(() => insert("b"))];
    await sleep(5); // the scheduled try found the lock held and put the batch back
    expect(group.pending).toBe(true);
    group.flush(); // a reader that must see them: blocks until the holder commits
    expect(values(database)).toEqual(["held", "a", "b"]);
    await expect(Promise.all(works)).resolves.toEqual([undefined, undefined]);
    await holder.released;
  });
});
