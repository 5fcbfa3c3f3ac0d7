import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { switchToWal } from "../../../workflows/local/store/embedded-database.js";

/** A connection whose `journal_mode = WAL` answers with `failures` errors before it succeeds. */
function connection(failures: readonly Error[]) {
  const calls: string[] = [];
  const pending = [...failures];
  return {
    calls,
    db: {
      pragma(source: string) {
        calls.push(source);
        const failure = pending.shift();
        if (failure) throw failure;
        return "wal";
      },
    },
  };
}

const busy = () => new Database.SqliteError("database is locked", "SQLITE_BUSY");

describe("switchToWal", () => {
  it("tries again when another opener holds the file for a moment (SQLITE_BUSY at once, no busy handler)", () => {
    const { db, calls } = connection([busy(), busy(), busy()]);
    switchToWal(db, 1000);
    expect(calls).toEqual(Array(4).fill("journal_mode = WAL"));
  });

  it("gives up with the busy error once the busy timeout has passed", () => {
    const { db, calls } = connection(Array.from({ length: 1000 }, busy));
    const started = Date.now();
    expect(() => switchToWal(db, 60)).toThrow(/database is locked/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
    expect(calls.length).toBeGreaterThan(1);
  });

  it("does not retry other errors", () => {
    const { db, calls } = connection([new Database.SqliteError("file is not a database", "SQLITE_NOTADB")]);
    expect(() => switchToWal(db, 1000)).toThrow(/not a database/);
    expect(calls).toHaveLength(1);
  });
});
