import Database, { type Statement } from "better-sqlite3";
import { TERMINAL_STATUS, type HistoryDraft, type HistoryEvent, type HistorySink } from "../history.js";
import type { ExecutionStatus } from "../outcome.js";
import { fromColumn, type EmbeddedDatabase } from "./embedded-database.js";
import { ChunkEncoder, decodeChunks } from "./history-chunks.js";
import { HistoryDigest, type StoredHistoryDigest } from "./history-digest.js";

/** A row of history_events: an event written before version 7 (read, never written now). */
interface EventRow {
  id: number;
  previous_event_id: number;
  timestamp: string;
  type: HistoryEvent["type"];
  details: string;
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

/** What this process's writes of one running execution left in the store. */
interface Written {
  /** Remembers the documents its events stored. */
  readonly encoder: ChunkEncoder;
  /** The last event id stored, once known (read at the first write, then each write's own last id), so a write need not read it back. */
  lastId?: number;
  /** The hash of the chunks written so far, when this writer wrote all of them (from event 1; dropped with the rest on a failed write). */
  digest?: HistoryDigest;
}

/** Digests kept for `takeDigest` at most (one per ended execution not yet taken: a refused event's, say, is never taken). */
const DIGESTS_KEPT = 4096;

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
 * The events of one append are one row, a chunk, its documents stored once per execution (see
 * `ChunkEncoder`).
 */
export class SqliteHistory implements HistorySink {
  // Prepared once: preparing is most of the cost of a small statement.
  private readonly statements: {
    readonly touch: Statement<[{ arn: string; at: string; runner: string | null }]>;
    readonly create: Statement<[{ arn: string; at: string; runner: string | null; machine: string; parent: string | null }]>;
    readonly started: Statement<[{ machine: string; parent: string | null; at: string; arn: string }]>;
    readonly insert: Statement<[string, number, number, string]>;
    readonly lastStored: Statement<[string, string], { last: number | null }>;
    readonly stopped: Statement<[ExecutionStatus, string, string]>;
    readonly link: Statement<[{ arn: string; incident: string }]>;
  };

  /**
   * Per execution still running in this process, what its writes left. Dropped when a write of it
   * fails (its savepoint or transaction rolled back), when told to `forget` it (a COMMIT that
   * failed after its write ran), and at its end. Another process appends to a running execution
   * only to abort it (`markAborted`, its process dead): a write after that reuses an id, which the
   * primary key refuses.
   */
  private readonly written = new Map<string, Written>();
  /** Ended executions whose whole history this writer stored: the digest of their rows, until taken. */
  private readonly digests = new Map<string, StoredHistoryDigest>();

  /** The process that writes: named on each execution row it makes (`runners`, migration 10), so another process can tell whether its run is alive. */
  private readonly runnerId: string | null;

  constructor(
    private readonly database: EmbeddedDatabase,
    options: { readonly runnerId?: string } = {},
  ) {
    this.runnerId = options.runnerId ?? null;
    const { db } = database;
    this.statements = {
      touch: db.prepare("INSERT INTO executions (execution_arn, first_event_at, started_at, runner_id) VALUES (@arn, @at, @at, @runner) ON CONFLICT DO NOTHING"),
      // `touch` and `started` in one statement, for the usual first write (the row is new).
      create: db.prepare(
        `INSERT INTO executions (execution_arn, first_event_at, started_at, runner_id, state_machine_arn, parent_execution_arn, incident_id)
         VALUES (@arn, @at, @at, @runner, @machine, @parent, (SELECT p.incident_id FROM executions p WHERE p.execution_arn = @parent))
         ON CONFLICT DO NOTHING`,
      ),
      // A child belongs to its parent's incident (the parent may have been linked before the child started).
      started: db.prepare(
        `UPDATE executions SET state_machine_arn = @machine, parent_execution_arn = @parent, started_at = @at,
           incident_id = coalesce(incident_id, (SELECT p.incident_id FROM executions p WHERE p.execution_arn = @parent))
         WHERE execution_arn = @arn`,
      ),
      insert: db.prepare("INSERT INTO history_chunks (execution_arn, first_id, last_id, events) VALUES (?, ?, ?, ?)"),
      // An execution's events before version 7 are rows of history_events (coalesce looks there only when it has no chunk).
      lastStored: db.prepare(
        `SELECT coalesce((SELECT last_id FROM history_chunks WHERE execution_arn = ? ORDER BY first_id DESC LIMIT 1),
                         (SELECT max(id) FROM history_events WHERE execution_arn = ?)) AS last`,
      ),
      stopped: db.prepare("UPDATE executions SET status = ?, stopped_at = ? WHERE execution_arn = ?"),
      link: db.prepare(LINK_FAMILY_SQL),
    };
  }

  append(executionArn: string, event: HistoryEvent): void {
    this.appendAll(executionArn, [event]);
  }

  /** Stores the events (of one execution, in id order) as one chunk, in one transaction. */
  appendAll(executionArn: string, events: readonly HistoryEvent[]): void {
    const first = events[0];
    const last = events.at(-1);
    if (first === undefined || last === undefined) return;
    const { touch, create, started, lastStored, stopped } = this.statements;
    const end = endOf(events);
    const written = this.writtenOf(executionArn);
    try {
      const chunk = written.encoder.encode(events);
      this.database.immediate(() => {
        // Events of an execution arrive in id order from one recorder: its first event made the row,
        // with its start in the same statement unless the row was there (`linkIncident` may touch it first).
        let createdBy: HistoryEvent | undefined;
        if (first.id === 1 && first.type === "ExecutionStarted") {
          const { stateMachineArn, parentExecutionArn } = first.details;
          const made = create.run({ arn: executionArn, at: first.timestamp, runner: this.runnerId, machine: stateMachineArn, parent: parentExecutionArn ?? null });
          if (made.changes > 0) createdBy = first;
        } else if (first.id === 1) touch.run({ arn: executionArn, at: first.timestamp, runner: this.runnerId });
        // Each id above the one before it, the first above what the execution has stored.
        let before = written.lastId ?? lastStored.get(executionArn, executionArn)?.last ?? 0;
        for (const event of events) {
          // The ids go into the chunk's JSON as they are.
          if (!Number.isSafeInteger(event.id) || !Number.isSafeInteger(event.previousEventId)) throw new Error(`sqlite history: event ids must be integers, not ${event.id} after ${event.previousEventId}`);
          if (event.id <= before) throw alreadyHas(executionArn, event.id);
          before = event.id;
          if (event.type === "ExecutionStarted" && event !== createdBy) started.run({ machine: event.details.stateMachineArn, parent: event.details.parentExecutionArn ?? null, at: event.timestamp, arn: executionArn });
        }
        this.insertChunk(executionArn, first.id, last.id, chunk);
        if (end) stopped.run(end.status, end.timestamp, executionArn);
      });
      if (first.id === 1) written.digest = new HistoryDigest();
      // The row's bytes, hashed as they go in: the digest of the whole history needs no read-back.
      written.digest?.add(chunk);
      written.lastId = last.id;
    } catch (error) {
      // What it remembers may name an event that is not stored: later events store their documents again, and read the last id.
      this.written.delete(executionArn);
      throw error;
    }
    if (end) {
      if (written.digest) this.keepDigest(executionArn, written.digest.of(last.id));
      this.written.delete(executionArn);
    }
  }

  /** Nothing more of the execution will be appended (a write of it failed, perhaps in a COMMIT that rolled back events its encoder remembers). */
  forget(executionArn: string): void {
    this.written.delete(executionArn);
    this.digests.delete(executionArn);
  }

  /**
   * The digest of an ended execution's rows as this writer stored them (see history-digest.ts), once
   * they are committed, and forgotten after; undefined when this writer did not store all of them or
   * a write failed: read the rows back then.
   */
  takeDigest(executionArn: string): StoredHistoryDigest | undefined {
    const digest = this.digests.get(executionArn);
    this.digests.delete(executionArn);
    return digest;
  }

  private keepDigest(executionArn: string, digest: StoredHistoryDigest): void {
    this.digests.set(executionArn, digest);
    if (this.digests.size > DIGESTS_KEPT) this.digests.delete(this.digests.keys().next().value!);
  }

  private writtenOf(executionArn: string): Written {
    let written = this.written.get(executionArn);
    if (written === undefined) {
      written = { encoder: new ChunkEncoder() };
      this.written.set(executionArn, written);
    }
    return written;
  }

  /**
   * Inserts a chunk; a chunk of the same first id already there (another process aborted the
   * execution after this one last wrote it) is refused as the id check refuses it.
   */
  private insertChunk(executionArn: string, firstId: number, lastId: number, chunk: string): void {
    try {
      this.statements.insert.run(executionArn, firstId, lastId, chunk);
    } catch (error) {
      if (error instanceof Database.SqliteError && error.code === "SQLITE_CONSTRAINT_PRIMARYKEY") throw alreadyHas(executionArn, firstId);
      throw error;
    }
  }

  /**
   * Marks an execution and every execution it started (so far) as belonging to the incident;
   * children started later inherit it. An execution already linked keeps its incident.
   */
  linkIncident(executionArn: string, incidentId: string): void {
    this.database.immediate(() => {
      this.statements.touch.run({ arn: executionArn, at: new Date().toISOString(), runner: this.runnerId });
      this.statements.link.run({ arn: executionArn, incident: incidentId });
    });
  }

  /**
   * Ends an execution the store still shows RUNNING though no process runs it any more (its
   * process died): an ExecutionAborted event with the cause after its last stored event, and the
   * status ABORTED. False, changing nothing, when it has ended already or the store has never seen it.
   */
  markAborted(executionArn: string, at: string, cause: string): boolean {
    const { insert, lastStored, stopped } = this.statements;
    return this.database.immediate(() => {
      const row = this.database.db.prepare<[string], { status: ExecutionStatus }>("SELECT status FROM executions WHERE execution_arn = ?").get(executionArn);
      if (row?.status !== "RUNNING") return false;
      const last = lastStored.get(executionArn, executionArn)?.last ?? 0;
      const event: HistoryEvent = { type: "ExecutionAborted", details: { cause }, id: last + 1, previousEventId: last, timestamp: at };
      // A fresh encoder: the event carries no document that an earlier chunk could hold.
      insert.run(executionArn, event.id, event.id, new ChunkEncoder().encode([event]));
      stopped.run("ABORTED", at, executionArn);
      // Ended: this instance writes nothing more of it.
      this.written.delete(executionArn);
      return true;
    });
  }

  /** The events of one execution, in id order. */
  events(executionArn: string): readonly HistoryEvent[] {
    const { db } = this.database;
    const before = db
      .prepare<[string], EventRow>("SELECT id, previous_event_id, timestamp, type, details FROM history_events WHERE execution_arn = ? ORDER BY id")
      .all(executionArn)
      .map((row) => ({ ...({ type: row.type, details: fromColumn<HistoryDraft["details"]>(row.details) } as HistoryDraft), id: row.id, previousEventId: row.previous_event_id, timestamp: row.timestamp }));
    const chunks = db
      .prepare<[string], { events: string }>("SELECT events FROM history_chunks WHERE execution_arn = ? ORDER BY first_id")
      .all(executionArn)
      .map((row) => row.events);
    // An execution is written by one version or the other: its ids never interleave.
    return before.concat(decodeChunks(executionArn, chunks));
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
        `SELECT ${EXECUTION_COLUMNS} FROM executions
         WHERE (@incident IS NULL OR incident_id = @incident) AND (@status IS NULL OR status = @status) ORDER BY coalesce(started_at, first_event_at), rowid`,
      )
      .all({ incident: filter.incidentId ?? null, status: filter.status ?? null });
    return rows.map(toSummary);
  }

  /** One execution with its status (AWS DescribeExecution's summary); undefined when the store has never seen it. */
  describe(executionArn: string): ExecutionSummary | undefined {
    const row = this.database.db.prepare<[string], ExecutionRow>(`SELECT ${EXECUTION_COLUMNS} FROM executions WHERE execution_arn = ?`).get(executionArn);
    return row ? toSummary(row) : undefined;
  }
}

const EXECUTION_COLUMNS = "execution_arn, state_machine_arn, parent_execution_arn, incident_id, status, started_at, first_event_at, stopped_at";

function alreadyHas(executionArn: string, id: number): Error {
  return new Error(`sqlite history: ${executionArn} already has event ${id}`);
}

/** The terminal event among `events`, with the status the execution ends in. */
function endOf(events: readonly HistoryEvent[]): { readonly status: ExecutionStatus; readonly timestamp: string } | undefined {
  for (const event of events) {
    const status = TERMINAL_STATUS.get(event.type);
    if (status) return { status, timestamp: event.timestamp };
  }
  return undefined;
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
