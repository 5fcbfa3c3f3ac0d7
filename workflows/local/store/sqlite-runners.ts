import type { Statement } from "better-sqlite3";
import type { RunnerRecord } from "../runner-liveness.js";
import type { EmbeddedDatabase, WRITE_LOCKED } from "./embedded-database.js";

interface RunnerRow {
  runner_id: string;
  pid: number;
  hostname: string;
  started_at: string;
  heartbeat_ms: number;
  ended_at: string | null;
}

/** A RUNNING execution and the runner that started it (none when the row names none, or an unknown one). */
export interface RunningExecution {
  readonly executionArn: string;
  readonly incidentId?: string;
  readonly runner?: RunnerRecord;
}

const RUNNER_COLUMNS = "r.runner_id, r.pid, r.hostname, r.started_at, r.heartbeat_ms, r.ended_at";

/**
 * The liveness record (migration 10): each process that runs incidents on the store registers a
 * row, beats on it, and ends it on close; the executions it starts name it (`executions.runner_id`,
 * written by `SqliteHistory` with the row itself).
 */
export class SqliteRunners {
  private readonly statements: {
    readonly beat: Statement<[number, string]>;
  };

  constructor(private readonly database: EmbeddedDatabase) {
    this.statements = { beat: database.db.prepare<[number, string]>("UPDATE runners SET heartbeat_ms = ? WHERE runner_id = ? AND ended_at IS NULL") };
  }

  register(runner: Omit<RunnerRecord, "endedAt">): void {
    this.database.immediate(() =>
      this.database.db
        .prepare("INSERT INTO runners (runner_id, pid, hostname, started_at, heartbeat_ms) VALUES (?, ?, ?, ?, ?)")
        .run(runner.runnerId, runner.pid, runner.hostname, runner.startedAt, runner.heartbeatMs),
    );
  }

  /**
   * Refreshes the heartbeat without waiting for another connection's write lock: `WRITE_LOCKED`
   * then, and the caller tries again shortly (a beat must never stall the thread that runs incidents).
   */
  beat(runnerId: string, nowMs: number): boolean | typeof WRITE_LOCKED {
    return this.database.tryImmediate(() => this.statements.beat.run(nowMs, runnerId).changes === 1);
  }

  end(runnerId: string, at: Date): void {
    this.database.immediate(() => this.database.db.prepare("UPDATE runners SET ended_at = ? WHERE runner_id = ? AND ended_at IS NULL").run(at.toISOString(), runnerId));
  }

  get(runnerId: string): RunnerRecord | undefined {
    const row = this.database.db.prepare<[string], RunnerRow>(`SELECT ${RUNNER_COLUMNS} FROM runners r WHERE r.runner_id = ?`).get(runnerId);
    return row ? toRecord(row) : undefined;
  }

  /** The RUNNING executions (of one incident, if given) with their runners; oldest first. */
  running(filter: { readonly incidentId?: string } = {}): RunningExecution[] {
    return this.database.db
      .prepare<[{ incident: string | null }], RunnerRow & { execution_arn: string; incident_id: string | null; runner_id: string | null }>(
        `SELECT e.execution_arn, e.incident_id, ${RUNNER_COLUMNS} FROM executions e LEFT JOIN runners r ON r.runner_id = e.runner_id
         WHERE e.status = 'RUNNING' AND (@incident IS NULL OR e.incident_id = @incident) ORDER BY coalesce(e.started_at, e.first_event_at), e.rowid`,
      )
      .all({ incident: filter.incidentId ?? null })
      .map((row) => ({
        executionArn: row.execution_arn,
        ...(row.incident_id !== null ? { incidentId: row.incident_id } : {}),
        ...(row.runner_id !== null ? { runner: toRecord(row) } : {}),
      }));
  }

  /** One execution's status and runner; undefined when the store has never seen it. */
  execution(executionArn: string): { readonly status: string; readonly runner?: RunnerRecord } | undefined {
    const row = this.database.db
      .prepare<[string], Omit<RunnerRow, "runner_id"> & { runner_id: string | null; status: string }>(
        `SELECT e.status, ${RUNNER_COLUMNS} FROM executions e LEFT JOIN runners r ON r.runner_id = e.runner_id WHERE e.execution_arn = ?`,
      )
      .get(executionArn);
    if (!row) return undefined;
    return { status: row.status, ...(row.runner_id !== null ? { runner: toRecord({ ...row, runner_id: row.runner_id }) } : {}) };
  }
}

function toRecord(row: RunnerRow): RunnerRecord {
  return {
    runnerId: row.runner_id,
    pid: row.pid,
    hostname: row.hostname,
    startedAt: row.started_at,
    heartbeatMs: row.heartbeat_ms,
    ...(row.ended_at !== null ? { endedAt: row.ended_at } : {}),
  };
}
