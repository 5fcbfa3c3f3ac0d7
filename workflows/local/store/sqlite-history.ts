import type { Statement } from "better-sqlite3";
import { TERMINAL_STATUS, type HistoryDraft, type HistoryEvent, type HistorySink } from "../history.js";
import type { ExecutionStatus } from "../outcome.js";
import type { EmbeddedDatabase } from "./embedded-database.js";
import { detailsInOrder, ExecutionDocuments, type DocumentRow } from "./history-documents.js";

interface EventRow extends DocumentRow {
  previous_event_id: number;
  timestamp: string;
  type: HistoryEvent["type"];
}

interface ExecutionRow {
  execution_arn: string;
  state_machine_arn: string | null;
  parent_execution_arn: string | null;
  incident_id: string | null;
  status: ExecutionStatus;
  started_at: string | null;
  first_event_at: string;
  stopped_at: string | null;
}

/** One execution as `irflow executions` lists it (AWS ListExecutions, plus the incident it belongs to). */
export interface ExecutionSummary {
  readonly executionArn: string;
  readonly name: string;
  readonly stateMachineArn?: string;
  /** The deployed machine name, e.g. `irflow-ssh-rdp-brute-force-contain`. */
  readonly machine?: string;
  readonly status: ExecutionStatus;
  readonly startedAt: string;
  readonly stoppedAt?: string;
  readonly parentExecutionArn?: string;
  readonly incidentId?: string;
}

export interface ExecutionFilter {
  readonly incidentId?: string;
  readonly status?: ExecutionStatus;
}

/** Links an execution (`@arn`) and every execution it started to `@incident`; exported so a test can check its plan uses an index. */
export const LINK_FAMILY_SQL = `WITH RECURSIVE family (arn) AS (
  SELECT @arn UNION SELECT e.execution_arn FROM executions e JOIN family f ON e.parent_execution_arn = f.arn
)
UPDATE executions SET incident_id = @incident WHERE execution_arn IN (SELECT arn FROM family) AND incident_id IS NULL`;

/**
 * Execution history in the embedded database, with `InMemoryHistory`'s reading API, and each
 * execution's status kept beside it so another process can list executions without replaying
 * events. Events are stored once each: appending an id the execution already has is an error.
 * An event's document is stored once per execution (see `ExecutionDocuments`).
 */
export class SqliteHistory implements HistorySink {
  // Prepared once: preparing is most of the cost of a small statement.
  private readonly statements: {
    readonly touch: Statement<[{ arn: string; at: string }]>;
    readonly started: Statement<[{ machine: string; parent: string | null; at: string; arn: string }]>;
    readonly insert: Statement<[string, number, number, string, string, string, string | null, string | null, number | null]>;
    readonly stopped: Statement<[ExecutionStatus, string, string]>;
    readonly link: Statement<[{ arn: string; incident: string }]>;
  };

  /** Per execution still running in this process: the documents its events stored. */
  private readonly documents = new Map<string, ExecutionDocuments>();

  constructor(private readonly database: EmbeddedDatabase) {
    const { db } = database;
    this.statements = {
      touch: db.prepare("INSERT INTO executions (execution_arn, first_event_at, started_at) VALUES (@arn, @at, @at) ON CONFLICT DO NOTHING"),
      // A child belongs to its parent's incident (the parent may have been linked before the child started).
      started: db.prepare(
        `UPDATE executions SET state_machine_arn = @machine, parent_execution_arn = @parent, started_at = @at,
           incident_id = coalesce(incident_id, (SELECT p.incident_id FROM executions p WHERE p.execution_arn = @parent))
         WHERE execution_arn = @arn`,
      ),
      insert: db.prepare(
        "INSERT INTO history_events (execution_arn, id, previous_event_id, timestamp, type, details, document_field, document, document_from) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
      ),
      stopped: db.prepare("UPDATE executions SET status = ?, stopped_at = ? WHERE execution_arn = ?"),
      link: db.prepare(LINK_FAMILY_SQL),
    };
  }

  append(executionArn: string, event: HistoryEvent): void {
    const { touch, started, insert, stopped } = this.statements;
    let documents = this.documents.get(executionArn);
    if (documents === undefined) {
      documents = new ExecutionDocuments();
      this.documents.set(executionArn, documents);
    }
    const columns = documents.columns(event);
    const status = TERMINAL_STATUS.get(event.type);
    try {
      this.database.immediate(() => {
        // Events of an execution arrive in id order from one recorder: its first event made the row.
        if (event.id === 1) touch.run({ arn: executionArn, at: event.timestamp });
        if (event.type === "ExecutionStarted") started.run({ machine: event.details.stateMachineArn, parent: event.details.parentExecutionArn ?? null, at: event.timestamp, arn: executionArn });
        const inserted = insert.run(executionArn, event.id, event.previousEventId, event.timestamp, event.type, columns.details, columns.field, columns.document, columns.from);
        if (inserted.changes === 0) throw new Error(`sqlite history: ${executionArn} already has event ${event.id}`);
        if (status) stopped.run(status, event.timestamp, executionArn);
      });
    } catch (error) {
      // What it remembers may name a row that is not there: later events store their documents again.
      this.documents.delete(executionArn);
      throw error;
    }
    if (status) this.documents.delete(executionArn);
    else columns.remember();
  }

  /** Nothing more of the execution will be appended (a write of it failed, perhaps in a COMMIT that rolled back rows its documents name). */
  forget(executionArn: string): void {
    this.documents.delete(executionArn);
  }

  /**
   * Marks an execution and every execution it started (so far) as belonging to the incident;
   * children started later inherit it. An execution already linked keeps its incident.
   */
  linkIncident(executionArn: string, incidentId: string): void {
    this.database.immediate(() => {
      this.statements.touch.run({ arn: executionArn, at: new Date().toISOString() });
      this.statements.link.run({ arn: executionArn, incident: incidentId });
    });
  }

  /** The events of one execution, in id order. */
  events(executionArn: string): readonly HistoryEvent[] {
    const rows = this.database.db
      .prepare<[string], EventRow>("SELECT id, previous_event_id, timestamp, type, details, document_field, document, document_from FROM history_events WHERE execution_arn = ? ORDER BY id")
      .all(executionArn);
    const details = detailsInOrder(executionArn, rows);
    return rows.map((row, index) => ({ ...({ type: row.type, details: details[index] } as HistoryDraft), id: row.id, previousEventId: row.previous_event_id, timestamp: row.timestamp }));
  }

  /** Every execution with events, in the order its first event was stored. */
  executions(): readonly string[] {
    return this.database.db
      .prepare<[], { execution_arn: string }>("SELECT execution_arn FROM executions ORDER BY rowid")
      .all()
      .map((row) => row.execution_arn);
  }

  /** Executions with their status, oldest first, optionally of one incident and/or one status. */
  list(filter: ExecutionFilter = {}): ExecutionSummary[] {
    const rows = this.database.db
      .prepare<[{ incident: string | null; status: string | null }], ExecutionRow>(
        `SELECT execution_arn, state_machine_arn, parent_execution_arn, incident_id, status, started_at, first_event_at, stopped_at FROM executions
         WHERE (@incident IS NULL OR incident_id = @incident) AND (@status IS NULL OR status = @status) ORDER BY coalesce(started_at, first_event_at), rowid`,
      )
      .all({ incident: filter.incidentId ?? null, status: filter.status ?? null });
    return rows.map(toSummary);
  }
}

function toSummary(row: ExecutionRow): ExecutionSummary {
  const machine = row.state_machine_arn?.slice(row.state_machine_arn.lastIndexOf(":") + 1);
  return {
    executionArn: row.execution_arn,
    name: row.execution_arn.slice(row.execution_arn.lastIndexOf(":") + 1),
    ...(row.state_machine_arn !== null ? { stateMachineArn: row.state_machine_arn, machine } : {}),
    status: row.status,
    startedAt: row.started_at ?? row.first_event_at,
    ...(row.stopped_at !== null ? { stoppedAt: row.stopped_at } : {}),
    ...(row.parent_execution_arn !== null ? { parentExecutionArn: row.parent_execution_arn } : {}),
    ...(row.incident_id !== null ? { incidentId: row.incident_id } : {}),
  };
}
