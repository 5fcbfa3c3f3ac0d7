import { describe, expect, it } from "vitest";
import { WRITE_LOCKED } from "../../../workflows/local/store/embedded-database.js";
import { holdLockElsewhere } from "./lock-holder.js";
import { scratch, scratchValues as values, useTempDatabases } from "./support.js";

const temp = useTempDatabases();


describe("EmbeddedDatabase write lock", () => {
  it("immediate waits for another connection's transaction, then writes after it (its row first)", async () => {
    const dir = temp.dir();
    const database = temp.open(dir, 5000);
    const insert = scratch(database);
    const holder = holdLockElsewhere(database.path, 60);
    await holder.held;
    const started = performance.now();
    const seen = database.immediate(() => {
      insert("mine");
      return values(database);
    });
    const waited = performance.now() - started;
    await holder.released;
    expect(seen).toEqual(["held", "mine"]);
    expect(values(database)).toEqual(["held", "mine"]);
    expect(waited).toBeGreaterThanOrEqual(20);
    // The connection's busy timeout is what it was opened with (the wait is ours, not SQLite's).
    expect(database.db.pragma("busy_timeout", { simple: true })).toBe(5000);
  });

  it("immediate gives up with SQLITE_BUSY once the busy timeout has passed, having written nothing", async () => {
    const dir = temp.dir();
    const database = temp.open(dir, 40);
    const insert = scratch(database);
    const holder = holdLockElsewhere(database.path, 400, false);
    await holder.held;
    const started = performance.now();
    let ran = false;
    let thrown: unknown;
    try {
      database.immediate(() => {
        ran = true;
        insert("mine");
      });
    } catch (error) {
      thrown = error;
    }
    const waited = performance.now() - started;
    await holder.released;
    expect(thrown).toMatchObject({ code: "SQLITE_BUSY" });
    expect(ran).toBe(false);
    expect(waited).toBeGreaterThanOrEqual(35);
    expect(waited).toBeLessThan(350);
    expect(database.db.inTransaction).toBe(false);
    expect(values(database)).toEqual([]);
    // The connection still works.
    database.immediate(() => insert("after"));
    expect(values(database)).toEqual(["after"]);
  });

  it("tryImmediate answers WRITE_LOCKED at once, without running the work, while another connection holds the lock", () => {
    const dir = temp.dir();
    const database = temp.open(dir, 5000);
    const other = temp.open(dir);
    const insert = scratch(database);
    other.db.exec("BEGIN IMMEDIATE");
    let ran = false;
    const started = performance.now();
    const outcome = database.tryImmediate(() => {
      ran = true;
      insert("mine");
    });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(outcome).toBe(WRITE_LOCKED);
    expect(ran).toBe(false);
    expect(database.db.inTransaction).toBe(false);
    expect(database.db.pragma("busy_timeout", { simple: true })).toBe(5000);
    other.db.exec("COMMIT");

    expect(database.tryImmediate(() => (insert("mine"), "done"))).toBe("done");
    expect(values(other)).toEqual(["mine"]);
  });

  it("tryImmediate rolls back a work that throws (or returns a promise) and rethrows; nested calls join the outer transaction", () => {
    const database = temp.fresh();
    const insert = scratch(database);
    expect(() =>
      database.tryImmediate(() => {
        insert("half-done");
        throw new Error("refused");
      }),
    ).toThrow(/refused/);
    expect(() => database.tryImmediate(() => Promise.resolve(insert("async")))).toThrow(/synchronous/);
    expect(database.db.inTransaction).toBe(false);
    expect(values(database)).toEqual([]);

    const nested = database.immediate(() => {
      insert("outer");
      return database.tryImmediate(() => (insert("inner"), database.db.inTransaction));
    });
    expect(nested).toBe(true);
    expect(values(database)).toEqual(["outer", "inner"]);
  });
});
