import { describe, expect, it } from "vitest";
import type { RefusedEvent } from "../../../workflows/local/incident/refused-events.js";
import { EmbeddedDatabase, MIGRATIONS } from "../../../workflows/local/store/embedded-database.js";
import { SqliteRefusedEventLog } from "../../../workflows/local/store/sqlite-refused-events.js";
import { useTempDatabases } from "./support.js";

const temp = useTempDatabases();

const refusal = (n: number, extra: Partial<RefusedEvent> = {}): RefusedEvent => ({
  at: `2026-11-24T10:00:0${n}.000Z`,
  runbookId: "ec2-instance-compromise",
  executionArn: `arn:aws:states:us-east-1:123456789012:execution:ec2-instance-compromise-incident:run-${n}`,
  error: "DetectionFailed",
  reason: "detail.type: Required",
  sha256: "a".repeat(64),
  bytes: 100 + n,
  ...extra,
});

/** The statement the refused-event log ran itself before migration 5. */
const OLD_CREATE = `CREATE TABLE IF NOT EXISTS refused_events (
      at TEXT NOT NULL, runbook_id TEXT NOT NULL, execution_arn TEXT NOT NULL PRIMARY KEY,
      event_id TEXT, source TEXT, error TEXT NOT NULL, reason TEXT NOT NULL, sha256 TEXT NOT NULL, bytes INTEGER NOT NULL)`;

const columns = (database: EmbeddedDatabase) =>
  database.db.prepare<[], { name: string; type: string; notnull: number; pk: number }>("PRAGMA table_info(refused_events)").all();

describe("refused_events (migration 5)", () => {
  it("is created by the schema, not by the log: a fresh file has it before any log is made", () => {
    const database = temp.fresh();
    const migration = MIGRATIONS.find((m) => m.version === 5);
    expect(migration?.description).toMatch(/refused events/);
    expect(database.appliedMigrations().map((m) => m.version)).toContain(5);
    expect(columns(database).map((c) => c.name)).toEqual(["at", "runbook_id", "execution_arn", "event_id", "source", "error", "reason", "sha256", "bytes"]);
    expect(columns(database).find((c) => c.pk === 1)?.name).toBe("execution_arn");
  });

  it("brings a version-4 file that has no table forward", () => {
    const dir = temp.dir();
    EmbeddedDatabase.open({ dir }, MIGRATIONS.filter((m) => m.version <= 4)).close();
    const database = temp.open(dir);
    expect(database.schemaVersion()).toBe(MIGRATIONS.at(-1)!.version);
    const log = new SqliteRefusedEventLog(database);
    log.record(refusal(1));
    expect(log.list()).toEqual([refusal(1)]);
  });

  it("migrates a file whose table the old code already made, keeping its rows and their uniqueness", () => {
    const dir = temp.dir();
    const old = EmbeddedDatabase.open({ dir }, MIGRATIONS.filter((m) => m.version <= 4));
    old.db.exec(OLD_CREATE);
    old.db
      .prepare("INSERT INTO refused_events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .run("2026-11-24T10:00:01.000Z", "ec2-instance-compromise", refusal(1).executionArn, "evt-1", "aws.guardduty", "DetectionFailed", "detail.type: Required", "a".repeat(64), 101);
    old.close();

    const database = temp.open(dir);
    expect(database.appliedMigrations().map((m) => m.version)).toEqual(MIGRATIONS.map((m) => m.version));
    const log = new SqliteRefusedEventLog(database);
    expect(log.list()).toEqual([refusal(1, { eventId: "evt-1", source: "aws.guardduty" })]);
    // The old primary key still holds: a retried write of the same execution is not a second refusal.
    log.record(refusal(1, { reason: "retried" }));
    log.record(refusal(2));
    expect(log.list().map((r) => [r.executionArn.split(":").at(-1), r.reason])).toEqual([
      ["run-1", "detail.type: Required"],
      ["run-2", "detail.type: Required"],
    ]);
  });

  it("does not make the table on its own any more: without migration 5 the log fails loudly", () => {
    const bare = EmbeddedDatabase.open({ dir: temp.dir() }, MIGRATIONS.filter((m) => m.version <= 4));
    try {
      const log = new SqliteRefusedEventLog(bare);
      expect(() => log.record(refusal(1))).toThrow(/no such table: refused_events/);
    } finally {
      bare.close();
    }
  });

  it("keeps optional fields absent, orders by time, and survives reopening", () => {
    const dir = temp.dir();
    const first = temp.open(dir);
    const log = new SqliteRefusedEventLog(first);
    log.record(refusal(3));
    log.record(refusal(2, { eventId: "evt-2" }));
    first.close();
    const again = new SqliteRefusedEventLog(temp.open(dir));
    expect(again.list()).toEqual([refusal(2, { eventId: "evt-2" }), refusal(3)]);
    expect(again.list()[1]).not.toHaveProperty("eventId");
  });
});
