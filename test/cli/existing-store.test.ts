/** The store a reading or answering command opens: it must exist, is never created, and is opened read-only when only read. */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { openExistingStore, storeFile } from "../../cli/existing-store.js";
import { UsageError } from "../../cli/usage-error.js";
import { DATABASE_FILE, EmbeddedDatabase, MIGRATIONS, NotAnIrflowStore } from "../../workflows/local/store/embedded-database.js";
import { tempDir } from "../support/temp-dir.js";

const root = tempDir("irflow-existing-store-");

function freshStore(name: string): string {
  const path = join(root, name);
  EmbeddedDatabase.open({ path }).close();
  return path;
}

const usageMessage = (work: () => unknown): string => {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error("expected a usage error");
};

describe("openExistingStore", () => {
  it("refuses a missing --dir or --db, naming the file, and creates neither folder nor file", () => {
    const typo = join(root, "typo");
    expect(usageMessage(() => openExistingStore({ dir: typo }, "read"))).toBe(`no irflow store at ${join(typo, DATABASE_FILE)} (irflow run or irflow demo creates it; --dir/--db name another)`);
    expect(usageMessage(() => openExistingStore({ dir: typo }, "write"))).toContain("no irflow store at");
    expect(existsSync(typo)).toBe(false);
    const missingFile = join(root, "elsewhere", "custom.db");
    expect(usageMessage(() => openExistingStore({ db: missingFile, dir: root }, "write"))).toContain(`no irflow store at ${missingFile}`);
    expect(existsSync(join(root, "elsewhere"))).toBe(false);
  });

  it("refuses a file that is not SQLite, an SQLite file without irflow's tables, and a folder given as --db", () => {
    const text = join(root, "notes.db");
    writeFileSync(text, "these are my notes, not a database; ".repeat(10));
    expect(usageMessage(() => openExistingStore({ db: text }, "read"))).toBe(`${text} is not an irflow store: not an SQLite database (--dir/--db name another)`);
    expect(usageMessage(() => openExistingStore({ db: text }, "write"))).toContain("not an SQLite database");
    const empty = join(root, "empty.db");
    writeFileSync(empty, "");
    expect(usageMessage(() => openExistingStore({ db: empty }, "write"))).toContain("an SQLite database without irflow's tables");
    expect(statSync(empty).size).toBe(0);
    const other = join(root, "other-app.db");
    const db = new Database(other);
    db.exec("CREATE TABLE notes (text TEXT)");
    db.close();
    expect(usageMessage(() => openExistingStore({ db: other }, "read"))).toContain(`${other} is not an irflow store`);
    const folder = join(root, "a-folder");
    mkdirSync(folder);
    expect(usageMessage(() => openExistingStore({ db: folder }, "read"))).toContain("is not a file");
  });

  it("opens an existing store read-only for reading (a write is refused by SQLite) and read-write for answering", () => {
    const path = freshStore("store.db");
    const reader = openExistingStore({ db: path }, "read");
    try {
      expect(reader.schemaVersion()).toBe(MIGRATIONS.at(-1)!.version);
      expect(() => reader.db.prepare("INSERT INTO executions (execution_arn, first_event_at) VALUES ('x', 'y')").run()).toThrow(/readonly/i);
    } finally {
      reader.close();
    }
    const writer = openExistingStore({ dir: root, db: path }, "write");
    try {
      writer.db.prepare("INSERT INTO executions (execution_arn, first_event_at) VALUES ('x', 'y')").run();
    } finally {
      writer.close();
    }
  });

  it("brings a store at an older schema version forward before reading it", () => {
    const path = join(root, "old.db");
    EmbeddedDatabase.open({ path }, MIGRATIONS.slice(0, 2)).close();
    const reader = EmbeddedDatabase.open({ path, existing: "read" });
    try {
      expect(reader.schemaVersion()).toBe(MIGRATIONS.at(-1)!.version);
    } finally {
      reader.close();
    }
  });

  it("the store layer says what is wrong as NotAnIrflowStore, without creating the file", () => {
    const path = join(root, "never", DATABASE_FILE);
    expect(() => EmbeddedDatabase.open({ path, existing: "read" })).toThrow(NotAnIrflowStore);
    expect(existsSync(join(root, "never"))).toBe(false);
    expect(readdirSync(root)).not.toContain("never");
  });

  it("names the file --db gives, or irflow.db in --dir", () => {
    expect(storeFile({ dir: "/srv/irflow" })).toBe("/srv/irflow/irflow.db");
    expect(storeFile({ dir: "/srv/irflow", db: "/tmp/x/custom.db" })).toBe("/tmp/x/custom.db");
  });
});
