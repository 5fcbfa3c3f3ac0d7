import { describe, expect, it, vi } from "vitest";
import { GroupCommit, groupCommitOf } from "../../../workflows/local/store/group-commit.js";
import { scratch, scratchValues as values, useTempDatabases } from "./support.js";

const temp = useTempDatabases();


describe("GroupCommit", () => {
  it("runs the works of one turn in one transaction, in order, and settles them only after the commit", async () => {
    const dir = temp.dir();
    const database = temp.open(dir);
    const other = temp.open(dir);
    const insert = scratch(database);
    // A scheduled batch takes the lock without waiting for it (tryImmediate).
    const immediate = vi.spyOn(database, "tryImmediate");
    const group = new GroupCommit(database);

    const results = [group.run(() => (insert("a"), 1)), group.run(() => (insert("b"), 2)), group.run(() => (insert("c"), 3))];
    // Queued, not run: another connection sees nothing yet.
    expect(values(other)).toEqual([]);
    expect(group.pending).toBe(true);

    await expect(Promise.all(results)).resolves.toEqual([1, 2, 3]);
    expect(immediate).toHaveBeenCalledTimes(1);
    expect(values(other)).toEqual(["a", "b", "c"]);
    expect(group.pending).toBe(false);
  });

  it("rolls back a failing work alone and rejects only its promise", async () => {
    const database = temp.fresh();
    const insert = scratch(database);
    const group = new GroupCommit(database);

    const first = group.run(() => insert("a"));
    const failing = group.run(() => {
      insert("half-done");
      insert("a"); // UNIQUE: refused
    });
    const last = group.run(() => insert("b"));

    await expect(first).resolves.toBeUndefined();
    await expect(failing).rejects.toThrow(/UNIQUE/);
    await expect(last).resolves.toBeUndefined();
    expect(values(database)).toEqual(["a", "b"]);
  });

  it("rejects every work of the batch when the transaction cannot be taken, and writes nothing", async () => {
    const dir = temp.dir();
    const database = temp.open(dir, 0);
    const other = temp.open(dir);
    const insert = scratch(database);
    const group = new GroupCommit(database);
    // Another process holds the write lock past our busy timeout.
    other.db.exec("BEGIN IMMEDIATE");
    const works = [group.run(() => insert("a")), group.run(() => insert("b"))];
    const settled = await Promise.allSettled(works);
    other.db.exec("ROLLBACK");

    expect(settled.map((s) => s.status)).toEqual(["rejected", "rejected"]);
    expect(String((settled[0] as PromiseRejectedResult).reason)).toMatch(/locked|busy/i);
    expect(values(database)).toEqual([]);
    // The group still works afterwards.
    await group.run(() => insert("c"));
    expect(values(other)).toEqual(["c"]);
  });

  it("runs the queue at once when a reader flushes; a flush from inside a batch does nothing", async () => {
    const database = temp.fresh();
    const insert = scratch(database);
    const group = new GroupCommit(database);

    let nested: Promise<unknown> | undefined;
    const outer = group.run(() => {
      insert("a");
      nested = group.run(() => insert("b"));
      group.flush(); // re-entrant: must not run "b" inside this batch (it would settle before this COMMIT)
      return values(database);
    });
    group.flush();
    expect(values(database)).toEqual(["a"]);
    await expect(outer).resolves.toEqual(["a"]);
    await nested;
    expect(values(database)).toEqual(["a", "b"]);
  });

  it("is shared by every store of one database, and separate per database", () => {
    const a = temp.fresh();
    const b = temp.fresh();
    expect(groupCommitOf(a)).toBe(groupCommitOf(a));
    expect(groupCommitOf(a)).not.toBe(groupCommitOf(b));
  });
});

describe("GroupCommit inside another transaction", () => {
  it("leaves its works to their own batch, so none is settled before a transaction it did not open commits", async () => {
    const database = temp.fresh();
    const insert = scratch(database);
    const group = new GroupCommit(database);
    const queued = group.run(() => insert("queued"));
    expect(() =>
      database.immediate(() => {
        group.flush(); // a reader inside someone else's transaction
        throw new Error("that transaction rolls back");
      }),
    ).toThrow(/rolls back/);
    await expect(queued).resolves.toBeUndefined();
    expect(values(database)).toEqual(["queued"]);
  });
});
