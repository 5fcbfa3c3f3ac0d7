import type { Statement } from "better-sqlite3";
import type { AbortFailure, AbortRequest, AbortRequestStore } from "../incident/abort-requests.js";
import { fromColumn, toColumn, type EmbeddedDatabase } from "./embedded-database.js";

interface Row {
  request_id: string;
  incident_id: string | null;
  execution_arns: string;
  requested_by: string;
  requested_at: string;
  reason: string;
  taken_at: string | null;
  taken_by: string | null;
  failed_at: string | null;
  failed_by: string | null;
  failed_reason: string | null;
}

/** What an insert writes; a request is never inserted failed. */
const INSERT_COLUMNS = "request_id, incident_id, execution_arns, requested_by, requested_at, reason, taken_at, taken_by";
const COLUMNS = `${INSERT_COLUMNS}, failed_at, failed_by, failed_reason`;

/**
 * Abort requests in the embedded database (migrations 8 and 9): `irflow abort` writes them, the process
 * running the executions polls `untaken` and takes each with a conditional update.
 */
export class SqliteAbortRequests implements AbortRequestStore {
  // Prepared once: the running process looks every few tens of milliseconds.
  private readonly statements: {
    readonly untaken: Statement<[string], Row>;
    readonly take: Statement<[string, string, string]>;
    readonly release: Statement<[string, string, string, string, string]>;
  };

  constructor(private readonly database: EmbeddedDatabase) {
    this.statements = {
      // On the (taken_at, requested_at) index: a look reads only the recent untaken requests.
      untaken: database.db.prepare<[string], Row>(`SELECT ${COLUMNS} FROM abort_requests WHERE taken_at IS NULL AND requested_at >= ? ORDER BY requested_at, rowid`),
      take: database.db.prepare<[string, string, string]>("UPDATE abort_requests SET taken_at = ?, taken_by = ? WHERE request_id = ? AND taken_at IS NULL"),
      release: database.db.prepare<[string, string, string, string, string]>(
        "UPDATE abort_requests SET taken_at = NULL, taken_by = NULL, failed_at = ?, failed_by = ?, failed_reason = ? WHERE request_id = ? AND taken_by = ?",
      ),
    };
  }

  insert(request: AbortRequest): void {
    this.database.db
      .prepare(`INSERT INTO abort_requests (${INSERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(request.id, request.incidentId ?? null, toColumn(request.executionArns), request.requestedBy, request.requestedAt, request.reason, request.takenAt ?? null, request.takenBy ?? null);
  }

  get(id: string): AbortRequest | undefined {
    const row = this.database.db.prepare<[string], Row>(`SELECT ${COLUMNS} FROM abort_requests WHERE request_id = ?`).get(id);
    return row ? toRequest(row) : undefined;
  }

  untaken(since = ""): AbortRequest[] {
    return this.statements.untaken.all(since).map(toRequest);
  }

  take(id: string, at: Date, by: string): boolean {
    return this.statements.take.run(at.toISOString(), by, id).changes === 1;
  }

  release(id: string, by: string, failure: AbortFailure): void {
    this.statements.release.run(failure.at.toISOString(), by, failure.reason, id, by);
  }

  /** A `BEGIN IMMEDIATE` transaction on this connection; an audit log on it joins it. */
  atomically<T>(work: () => T): T {
    return this.database.immediate(work);
  }
}

function toRequest(row: Row): AbortRequest {
  return {
    id: row.request_id,
    ...(row.incident_id !== null ? { incidentId: row.incident_id } : {}),
    executionArns: fromColumn<string[]>(row.execution_arns),
    requestedBy: row.requested_by,
    requestedAt: row.requested_at,
    reason: row.reason,
    ...(row.taken_at !== null ? { takenAt: row.taken_at } : {}),
    ...(row.taken_by !== null ? { takenBy: row.taken_by } : {}),
    ...(row.failed_at !== null ? { failedAt: row.failed_at } : {}),
    ...(row.failed_by !== null ? { failedBy: row.failed_by } : {}),
    ...(row.failed_reason !== null ? { failedReason: row.failed_reason } : {}),
  };
}
