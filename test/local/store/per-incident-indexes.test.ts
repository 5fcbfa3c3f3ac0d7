import { describe, expect, it } from "vitest";
import type { HistoryEvent } from "../../../workflows/local/history.js";
import { EmbeddedDatabase, MIGRATIONS } from "../../../workflows/local/store/embedded-database.js";
import { LINK_FAMILY_SQL, SqliteHistory } from "../../../workflows/local/store/sqlite-history.js";
import { CLOSE_DEDUPE_KEYS_SQL } from "../../../workflows/local/store/sqlite-incident-store.js";
import { useTempDatabases } from "./support.js";

const temp = useTempDatabases();

const arn = (name: string) => `arn:aws:states:eu-west-1:123456789012:execution:m:${name}`;
const started = (parent?: string): HistoryEvent & { type: "ExecutionStarted" } => ({
  id: 1,
  previousEventId: 0,
  timestamp: "2026-11-24T12:00:00.000Z",
  type: "ExecutionStarted",
  details: { input: {}, stateMachineArn: "arn:sm", ...(parent ? { parentExecutionArn: parent } : {}) },
});

/** A started execution as a version-5 file holds it (written as the SqliteHistory of that version did). */
function appendAsVersion5(database: EmbeddedDatabase, executionArn: string, event: HistoryEvent & { type: "ExecutionStarted" }): void {
  const { db } = database;
  db.prepare("INSERT INTO executions (execution_arn, first_event_at, started_at) VALUES (?, ?, ?)").run(executionArn, event.timestamp, event.timestamp);
  db.prepare("UPDATE executions SET state_machine_arn = ?, parent_execution_arn = ? WHERE execution_arn = ?").run(event.details.stateMachineArn, event.details.parentExecutionArn ?? null, executionArn);
  db.prepare("INSERT INTO history_events (execution_arn, id, previous_event_id, timestamp, type, details) VALUES (?, ?, ?, ?, ?, ?)").run(executionArn, event.id, event.previousEventId, event.timestamp, event.type, JSON.stringify(event.details));
}

/** The plan SQLite picks for `sql`, one detail line per step. */
const plan = (database: EmbeddedDatabase, sql: string, params: Record<string, string> | string[]): string[] =>
  database.db
    .prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`)
    .all(...(Array.isArray(params) ? params : [params]))
    .map((row) => row.detail);

describe("migration 6: indexes for the per-incident writes", () => {
  it("brings a version-5 file forward with every row kept, and the family link still finds children", () => {
    const dir = temp.dir();
    const old = EmbeddedDatabase.open({ dir }, MIGRATIONS.filter((m) => m.version <= 5));
    expect(old.schemaVersion()).toBe(5);
    appendAsVersion5(old, arn("root"), started());
    appendAsVersion5(old, arn("child"), started(arn("root")));
    appendAsVersion5(old, arn("grandchild"), started(arn("child")));
    appendAsVersion5(old, arn("other"), started());
    old.db.prepare("INSERT INTO incidents (incident_id, dedupe_key, status, opened_at, opened_by, document, event_sha256, event_bytes) VALUES ('inc-1', 'k', 'open', 'now', 'me', '{}', 'sha', 1)").run();
    old.db.prepare("INSERT INTO dedupe_keys (dedupe_key, incident_id, status, opened_at, expires_at_ms, execution_id) VALUES ('k', 'inc-1', 'open', 'now', 1, 'x')").run();
    old.close();

    const upgraded = temp.open(dir);
    expect(upgraded.schemaVersion()).toBe(MIGRATIONS.at(-1)?.version);
    expect(upgraded.appliedMigrations().map((m) => m.version)).toEqual(MIGRATIONS.map((m) => m.version));
    const after = new SqliteHistory(upgraded);
    expect(after.executions()).toEqual([arn("root"), arn("child"), arn("grandchild"), arn("other")]);
    expect(after.events(arn("grandchild"))).toEqual([started(arn("child"))]);
    expect(upgraded.db.prepare("SELECT dedupe_key, incident_id, status FROM dedupe_keys").all()).toEqual([{ dedupe_key: "k", incident_id: "inc-1", status: "open" }]);

    after.linkIncident(arn("root"), "inc-1");
    expect(after.list({ incidentId: "inc-1" }).map((e) => e.executionArn)).toEqual([arn("root"), arn("child"), arn("grandchild")]);
  });

  it("links a family and closes an incident by index, not by a pass over every row", () => {
    const database = temp.fresh();
    const link = plan(database, LINK_FAMILY_SQL, { arn: "a", incident: "i" });
    expect(link.some((step) => step.includes("USING INDEX executions_by_parent") || step.includes("USING COVERING INDEX executions_by_parent"))).toBe(true);
    expect(link.some((step) => step.includes("AUTOMATIC"))).toBe(false);
    expect(plan(database, CLOSE_DEDUPE_KEYS_SQL, ["i"])).toEqual([expect.stringContaining("USING INDEX dedupe_keys_by_incident")]);
  });
});
