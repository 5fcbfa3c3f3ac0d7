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
 * sees what was refused and why. The table is the schema's (migration 5), like every other.
 */
export class SqliteRefusedEventLog implements RefusedEventLog {
  constructor(private readonly database: EmbeddedDatabase) {}

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
