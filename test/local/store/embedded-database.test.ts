import Database from "better-sqlite3";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DATABASE_FILE, DEFAULT_DIRECTORY, EmbeddedDatabase, MIGRATIONS, NotAnIrflowStore, type Migration } from "../../../workflows/local/store/embedded-database.js";
import { useTempDatabases } from "./support.js";

const temp = useTempDatabases();

describe("EmbeddedDatabase", () => {
  it("creates <dir>/irflow.db in WAL mode with a busy timeout, NORMAL sync and foreign keys", () => {
    const dir = join(temp.dir(), "nested", ".irflow");
    const database = temp.open(dir, 1234);
    expect(database.path).toBe(join(dir, DATABASE_FILE));
    expect(existsSync(database.path)).toBe(true);
    const { db } = database;
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.pragma("busy_timeout", { simple: true })).toBe(1234);
    expect(db.pragma("synchronous", { simple: true })).toBe(1); // NORMAL
    expect(db.pragma("foreign_keys", { simple: true })).toBe(1);
  });

  it("defaults to .irflow/ under the project", () => {
    expect(DEFAULT_DIRECTORY).toBe(join(process.cwd(), ".irflow") + "/");
  });

  it("applies every migration once, recorded in schema_version", () => {
    const database = temp.fresh();
    expect(database.schemaVersion()).toBe(MIGRATIONS.at(-1)!.version);
    expect(database.appliedMigrations().map((m) => m.version)).toEqual(MIGRATIONS.map((m) => m.version));
    const tables = database.db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all().map((t) => t.name);
    expect(tables).toEqual(["abort_requests", "approvals", "audit_log", "dedupe_keys", "executions", "history_chunks", "history_events", "incidents", "occurrences", "refused_events", "runners", "schema_version", "step_records"]);
  });

  it("is idempotent: reopening (or a second connection at once) applies nothing again", () => {
    const dir = temp.dir();
    const first = temp.open(dir);
    const second = temp.open(dir);
    temp.open(dir).close();
    expect(second.appliedMigrations()).toEqual(first.appliedMigrations());
    expect(first.appliedMigrations()).toHaveLength(MIGRATIONS.length);
  });

  it("brings an older file forward by only the versions it lacks, in one transaction", () => {
    const dir = temp.dir();
    temp.open(dir).close();
    const extra: Migration = { version: MIGRATIONS.at(-1)!.version + 1, description: "extra", sql: "CREATE TABLE extra (x INTEGER)" };
    const upgraded = EmbeddedDatabase.open({ dir }, [...MIGRATIONS, extra]);
    expect(upgraded.schemaVersion()).toBe(extra.version);
    upgraded.close();
    const broken: Migration = { version: extra.version + 1, description: "broken", sql: "CREATE TABLE fine (x INTEGER); CREATE TABLE extra (x INTEGER)" };
    expect(() => EmbeddedDatabase.open({ dir }, [...MIGRATIONS, extra, broken])).toThrow(/already exists/);
    const after = EmbeddedDatabase.open({ dir }, [...MIGRATIONS, extra]);
    expect(after.schemaVersion()).toBe(extra.version);
    expect(() => after.db.prepare("SELECT * FROM fine").all()).toThrow(/no such table/);
    after.close();
  });

  it("refuses a file from a newer irflow, and misordered migrations", () => {
    const dir = temp.dir();
    const raw = new Database(join(dir, DATABASE_FILE));
    raw.exec("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL); INSERT INTO schema_version VALUES (99, 'future', 'x')");
    raw.close();
    expect(() => EmbeddedDatabase.open({ dir })).toThrow(/schema version 99, newer/);
    expect(() => EmbeddedDatabase.open({ dir: temp.dir() }, [MIGRATIONS[0]!, MIGRATIONS[0]!])).toThrow(/increasing/);
  });

  it("makes its store only in a new or empty file: another application's database, a file that is not SQLite and a folder in the way are refused as not an irflow store, and left as they were", () => {
    const foreign = join(temp.dir(), DATABASE_FILE);
    const raw = new Database(foreign);
    raw.exec("CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('keep me')");
    raw.close();
    expect(() => EmbeddedDatabase.open({ path: foreign })).toThrow(new NotAnIrflowStore(foreign, "an SQLite database without irflow's tables (irflow makes its store only in a new or empty file)"));
    const after = new Database(foreign, { readonly: true });
    expect(after.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all()).toEqual([{ name: "notes" }]);
    expect(after.pragma("journal_mode", { simple: true })).toBe("delete");
    after.close();

    const text = join(temp.dir(), "notes.txt");
    writeFileSync(text, "not a database at all; ".repeat(20));
    expect(() => EmbeddedDatabase.open({ path: text })).toThrow(new NotAnIrflowStore(text, "not an SQLite database"));
    expect(readFileSync(text, "utf8")).toBe("not a database at all; ".repeat(20));

    const folder = join(temp.dir(), DATABASE_FILE);
    mkdirSync(folder);
    expect(() => EmbeddedDatabase.open({ path: folder })).toThrow(NotAnIrflowStore);
    // An empty file is a new one.
    const empty = join(temp.dir(), DATABASE_FILE);
    writeFileSync(empty, "");
    const made = EmbeddedDatabase.open({ path: empty });
    expect(made.schemaVersion()).toBe(MIGRATIONS.at(-1)!.version);
    made.close();
  });

  it("keeps data across close and reopen", () => {
    const dir = temp.dir();
    const database = temp.open(dir);
    database.db.prepare("INSERT INTO audit_log VALUES ('inc-1', 1, 'now', 'opened', 'me', '{}', '', 'h1')").run();
    database.close();
    const again = temp.open(dir);
    expect(again.db.prepare("SELECT hash FROM audit_log").all()).toEqual([{ hash: "h1" }]);
  });

  it("rolls a failed immediate transaction back, and nests", () => {
    const database = temp.fresh();
    const insert = (seq: number) => database.db.prepare(`INSERT INTO audit_log VALUES ('inc-1', ${seq}, 'now', 'k', 'me', '{}', '', 'h')`).run();
    expect(() =>
      database.immediate(() => {
        insert(1);
        database.immediate(() => insert(2));
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(database.db.prepare("SELECT count(*) AS n FROM audit_log").get()).toEqual({ n: 0 });
  });
});
