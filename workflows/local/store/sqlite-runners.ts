import type { Statement } from "better-sqlite3";
import { RUNNER_RETENTION_MS, type ExecutionRunner, type RunnerRecord } from "../runner-liveness.js";
import type { EmbeddedDatabase, WRITE_LOCKED } from "./embedded-database.js";

interface RunnerRow {
  runner_id: string;
  pid: number;
  hostname: string;
  started_at: string;
  heartbeat_ms: number;
  ended_at: string | null;
}

/** A RUNNING execution and the runner that started it (none when the row names none; missing when its row is gone). */
export interface RunningExecution {
  readonly executionArn: string;
  readonly incidentId?: string;
  readonly runner?: ExecutionRunner;
}

const RUNNER_COLUMNS = "r.runner_id, r.pid, r.hostname, r.started_at, r.heartbeat_ms, r.ended_at";
/** An execution's runner: the one it names, and that runner's row (nulls when the row is missing). */
const JOINED_COLUMNS = `e.runner_id AS named_runner_id, ${RUNNER_COLUMNS}`;

/**
 * Rows of runners that ended (or, killed, last beat) before the cutoff, unless a RUNNING execution
 * names them. The subquery is not correlated: it runs once, on `executions_by_status`.
 */
const PRUNE = `DELETE FROM runners
  WHERE (CASE WHEN ended_at IS NOT NULL THEN ended_at < @cutoffIso ELSE heartbeat_ms < @cutoffMs END)
    AND runner_id NOT IN (SELECT runner_id FROM executions WHERE status = 'RUNNING' AND runner_id IS NOT NULL)`;

export interface RegisterOptions {
  /** Prune the rows of runners that ended longer ago than this; default `RUNNER_RETENTION_MS`. */
  readonly retentionMs?: number;
}

/**
 * The liveness record (migration 10): each process that runs incidents on the store registers a
 * row, beats on it, and ends it on close; the executions it starts name it (`executions.runner_id`,
 * written by `SqliteHistory` with the row itself).
 */
export class SqliteRunners {
  private readonly statements: {
    readonly beat: Statement<[Omit<RunnerRow, "ended_at">]>;
  };

  constructor(private readonly database: EmbeddedDatabase) {
    this.statements = {
      // A row pruned under a live runner (one suspended longer than the retention) comes back with its beat.
      beat: database.db.prepare<[Omit<RunnerRow, "ended_at">]>(
        `INSERT INTO runners (runner_id, pid, hostname, started_at, heartbeat_ms) VALUES (@runner_id, @pid, @hostname, @started_at, @heartbeat_ms)
         ON CONFLICT (runner_id) DO UPDATE SET heartbeat_ms = excluded.heartbeat_ms WHERE ended_at IS NULL`,
      ),
    };
  }

  /**
   * Registers a runner and, in the same transaction, prunes the rows of runners that ended longer
   * than the retention ago: a moment that writes anyway, once per process, never per incident.
   */
  register(runner: Omit<RunnerRecord, "endedAt">, options: RegisterOptions = {}): void {
    this.database.immediate(() => {
      this.database.db
        .prepare("INSERT INTO runners (runner_id, pid, hostname, started_at, heartbeat_ms) VALUES (?, ?, ?, ?, ?)")
        .run(runner.runnerId, runner.pid, runner.hostname, runner.startedAt, runner.heartbeatMs);
      this.pruneNow(runner.heartbeatMs - (options.retentionMs ?? RUNNER_RETENTION_MS));
    });
  }

  /** Prunes the rows of runners that ended (or last beat) before `cutoffMs` and that no RUNNING execution names; how many went. */
  prune(cutoffMs: number): number {
    return this.database.immediate(() => this.pruneNow(cutoffMs));
  }

  private pruneNow(cutoffMs: number): number {
    return this.database.db.prepare(PRUNE).run({ cutoffMs, cutoffIso: new Date(cutoffMs).toISOString() }).changes;
  }

  /**
   * Refreshes the heartbeat without waiting for another connection's write lock: `WRITE_LOCKED`
   * then, and the caller tries again shortly (a beat must never stall the thread that runs incidents).
   * False once the runner has ended.
   */
  beat(runner: Omit<RunnerRecord, "endedAt" | "heartbeatMs">, nowMs: number): boolean | typeof WRITE_LOCKED {
    const row = { runner_id: runner.runnerId, pid: runner.pid, hostname: runner.hostname, started_at: runner.startedAt, heartbeat_ms: nowMs };
    return this.database.tryImmediate(() => this.statements.beat.run(row).changes === 1);
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
      .prepare<[{ incident: string | null }], JoinedRow & { execution_arn: string; incident_id: string | null }>(
        `SELECT e.execution_arn, e.incident_id, ${JOINED_COLUMNS} FROM executions e LEFT JOIN runners r ON r.runner_id = e.runner_id
         WHERE e.status = 'RUNNING' AND (@incident IS NULL OR e.incident_id = @incident) ORDER BY coalesce(e.started_at, e.first_event_at), e.rowid`,
      )
      .all({ incident: filter.incidentId ?? null })
      .map((row) => ({
        executionArn: row.execution_arn,
        ...(row.incident_id !== null ? { incidentId: row.incident_id } : {}),
        ...runnerOf(row),
      }));
  }

  /** One execution's status and runner; undefined when the store has never seen it. */
  execution(executionArn: string): { readonly status: string; readonly runner?: ExecutionRunner } | undefined {
    const row = this.database.db
      .prepare<[string], JoinedRow & { status: string }>(
        `SELECT e.status, ${JOINED_COLUMNS} FROM executions e LEFT JOIN runners r ON r.runner_id = e.runner_id WHERE e.execution_arn = ?`,
      )
      .get(executionArn);
    if (!row) return undefined;
    return { status: row.status, ...runnerOf(row) };
  }
}

/** An execution joined to its runner's row: the runner it names, and the row's columns (null when there is none). */
type JoinedRow = { [K in keyof RunnerRow]: RunnerRow[K] | null } & { named_runner_id: string | null };

function runnerOf(row: JoinedRow): { runner?: ExecutionRunner } {
  if (row.named_runner_id === null) return {};
  if (row.runner_id === null) return { runner: { runnerId: row.named_runner_id, missing: true } };
  return { runner: toRecord(row as RunnerRow) };
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
