import type { RefusedEvent, RefusedEventLog } from "../incident/refused-events.js";
import type { EmbeddedDatabase } from "./embedded-database.js";

interface Row {
  at: string;
  runbook_id: string;
  execution_arn: string;
  event_id: string | null;
  source: string | null;
  error: string;
  reason: string;
  sha256: string;
  bytes: number;
}

/**
 * Refused events in the embedded database, so `irflow` in another terminal (and an auditor later)
 * sees what was refused and why. The table is created here, if missing, rather than by a schema
 * migration: it is append-only and nothing else reads it.
 */
export class SqliteRefusedEventLog implements RefusedEventLog {
  constructor(private readonly database: EmbeddedDatabase) {
    database.db.exec(`CREATE TABLE IF NOT EXISTS refused_events (
      at TEXT NOT NULL, runbook_id TEXT NOT NULL, execution_arn TEXT NOT NULL PRIMARY KEY,
      event_id TEXT, source TEXT, error TEXT NOT NULL, reason TEXT NOT NULL, sha256 TEXT NOT NULL, bytes INTEGER NOT NULL)`);
  }

  record(r: RefusedEvent): void {
    // One record per execution: a retried write is not a second refusal.
    this.database.db
      .prepare("INSERT OR IGNORE INTO refused_events (at, runbook_id, execution_arn, event_id, source, error, reason, sha256, bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .run(r.at, r.runbookId, r.executionArn, r.eventId ?? null, r.source ?? null, r.error, r.reason, r.sha256, r.bytes);
  }

  list(): readonly RefusedEvent[] {
    return this.database.db
      .prepare<[], Row>("SELECT * FROM refused_events ORDER BY at, rowid")
      .all()
      .map((row) => ({
        at: row.at,
        runbookId: row.runbook_id,
        executionArn: row.execution_arn,
        ...(row.event_id !== null ? { eventId: row.event_id } : {}),
        ...(row.source !== null ? { source: row.source } : {}),
        error: row.error,
        reason: row.reason,
        sha256: row.sha256,
        bytes: row.bytes,
      }));
  }
}
