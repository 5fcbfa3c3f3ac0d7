import type { HistoryDraft, HistoryEvent, HistorySink } from "../history.js";
import { fromColumn, toColumn, type EmbeddedDatabase } from "./embedded-database.js";

interface EventRow {
  id: number;
  previous_event_id: number;
  timestamp: string;
  type: HistoryEvent["type"];
  details: string;
}

/**
 * Execution history in the embedded database, with `InMemoryHistory`'s reading API. Events are
 * stored once each: appending an id the execution already has is an error, not a duplicate row.
 */
export class SqliteHistory implements HistorySink {
  constructor(private readonly database: EmbeddedDatabase) {}

  append(executionArn: string, event: HistoryEvent): void {
    const { db } = this.database;
    this.database.immediate(() => {
      db.prepare<[string, string]>("INSERT INTO executions (execution_arn, first_event_at) VALUES (?, ?) ON CONFLICT DO NOTHING").run(executionArn, event.timestamp);
      const inserted = db
        .prepare<[string, number, number, string, string, string]>(
          "INSERT INTO history_events (execution_arn, id, previous_event_id, timestamp, type, details) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        )
        .run(executionArn, event.id, event.previousEventId, event.timestamp, event.type, toColumn(event.details));
      if (inserted.changes === 0) throw new Error(`sqlite history: ${executionArn} already has event ${event.id}`);
    });
  }

  /** The events of one execution, in id order. */
  events(executionArn: string): readonly HistoryEvent[] {
    return this.database.db
      .prepare<[string], EventRow>("SELECT id, previous_event_id, timestamp, type, details FROM history_events WHERE execution_arn = ? ORDER BY id")
      .all(executionArn)
      .map((row) => ({ ...({ type: row.type, details: fromColumn<HistoryDraft["details"]>(row.details) } as HistoryDraft), id: row.id, previousEventId: row.previous_event_id, timestamp: row.timestamp }));
  }

  /** Every execution with events, in the order its first event was stored. */
  executions(): readonly string[] {
    return this.database.db
      .prepare<[], { execution_arn: string }>("SELECT execution_arn FROM executions ORDER BY rowid")
      .all()
      .map((row) => row.execution_arn);
  }
}
