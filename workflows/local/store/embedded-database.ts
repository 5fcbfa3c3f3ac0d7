import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The embedded store of the local default: one SQLite file (`.irflow/irflow.db` under the
 * project) that every irflow process opens, so a responder in a second terminal can list and
 * answer approvals while a run waits. WAL lets readers work beside one writer; writers queue on
 * the file lock for up to `busyTimeoutMs` instead of failing with SQLITE_BUSY.
 */

export const DATABASE_FILE = "irflow.db";

/** `<project>/.irflow` (this file is `<project>/workflows/local/store/embedded-database.ts`). */
export const DEFAULT_DIRECTORY = fileURLToPath(new URL("../../../.irflow/", import.meta.url));

export interface EmbeddedDatabaseOptions {
  /** The folder that holds `irflow.db` (created if missing). Default `DEFAULT_DIRECTORY`. */
  readonly dir?: string;
  /** The database file itself; wins over `dir`. */
  readonly path?: string;
  /** How long a writer waits for another process's lock before SQLITE_BUSY. Default 5000 ms. */
  readonly busyTimeoutMs?: number;
  /**
   * Open only a store that is already there: the file and its folder are never created, and a file
   * without irflow's schema is refused (`NotAnIrflowStore`). `"read"` opens it read-only (a file at
   * an older schema version is brought forward first); `"write"` read-write.
   */
  readonly existing?: "read" | "write";
}

/** The file named is missing, not SQLite, or SQLite without irflow's schema. */
export class NotAnIrflowStore extends Error {
  override readonly name = "NotAnIrflowStore";
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path} is not an irflow store: ${reason}`);
  }
}

export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

/**
 * The schema, in order; a database is at the highest version it has applied. Append, never edit:
 * a file created by an older irflow is brought forward by the versions it lacks.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "incidents, occurrences, dedupe keys, step records, executions and history, approvals, audit log",
    sql: `
      CREATE TABLE incidents (
        incident_id   TEXT PRIMARY KEY,
        dedupe_key    TEXT NOT NULL,
        status        TEXT NOT NULL CHECK (status IN ('open', 'closed')),
        opened_at     TEXT NOT NULL,
        opened_by     TEXT NOT NULL,
        closed_at     TEXT,
        document      TEXT NOT NULL,
        event_json    TEXT,
        event_sha256  TEXT NOT NULL,
        event_bytes   INTEGER NOT NULL
      );
      CREATE INDEX incidents_by_key ON incidents (dedupe_key);

      CREATE TABLE occurrences (
        incident_id   TEXT NOT NULL REFERENCES incidents (incident_id),
        event_id      TEXT NOT NULL,
        time          TEXT NOT NULL,
        execution_id  TEXT NOT NULL,
        recorded_at   TEXT NOT NULL,
        PRIMARY KEY (incident_id, event_id)
      );

      CREATE TABLE dedupe_keys (
        dedupe_key     TEXT PRIMARY KEY,
        incident_id    TEXT NOT NULL REFERENCES incidents (incident_id),
        status         TEXT NOT NULL CHECK (status IN ('open', 'closed')),
        opened_at      TEXT NOT NULL,
        expires_at_ms  INTEGER NOT NULL,
        execution_id   TEXT NOT NULL
      );

      CREATE TABLE step_records (
        incident_id   TEXT NOT NULL,
        step_id       TEXT NOT NULL,
        task          TEXT NOT NULL,
        item          INTEGER CHECK (item IS NULL OR item >= 0),
        mode          TEXT NOT NULL CHECK (mode IN ('plan', 'run')),
        at            TEXT NOT NULL,
        execution_id  TEXT NOT NULL,
        record        TEXT NOT NULL
      );
      CREATE UNIQUE INDEX step_records_key ON step_records (incident_id, step_id, task, coalesce(item, -1), mode);

      CREATE TABLE executions (
        execution_arn  TEXT PRIMARY KEY,
        first_event_at TEXT NOT NULL
      );
      CREATE TABLE history_events (
        execution_arn      TEXT NOT NULL REFERENCES executions (execution_arn),
        id                 INTEGER NOT NULL,
        previous_event_id  INTEGER NOT NULL,
        timestamp          TEXT NOT NULL,
        type               TEXT NOT NULL,
        details            TEXT NOT NULL,
        PRIMARY KEY (execution_arn, id)
      );

      CREATE TABLE approvals (
        approval_id   TEXT PRIMARY KEY,
        incident_id   TEXT NOT NULL,
        step_id       TEXT NOT NULL,
        status        TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'expired')),
        requested_at  TEXT NOT NULL,
        deadline      TEXT NOT NULL,
        deadline_ms   INTEGER NOT NULL,
        decided_at    TEXT,
        decided_by    TEXT,
        comment       TEXT,
        approvers     TEXT NOT NULL,
        plan          TEXT NOT NULL,
        digest        TEXT NOT NULL,
        task_token    TEXT NOT NULL
      );
      CREATE INDEX approvals_pending ON approvals (status, incident_id);

      CREATE TABLE audit_log (
        incident_id  TEXT NOT NULL,
        seq          INTEGER NOT NULL CHECK (seq >= 1),
        at           TEXT NOT NULL,
        kind         TEXT NOT NULL,
        actor        TEXT NOT NULL,
        body         TEXT NOT NULL,
        prev_hash    TEXT NOT NULL,
        hash         TEXT NOT NULL,
        PRIMARY KEY (incident_id, seq)
      );
    `,
  },
  {
    version: 2,
    description: "approvals: the full request, requester, votes of two-person steps, reminders, resumption by the waiting run",
    sql: `
      ALTER TABLE approvals ADD COLUMN record TEXT;
      ALTER TABLE approvals ADD COLUMN requester TEXT;
      ALTER TABLE approvals ADD COLUMN required_approvals INTEGER NOT NULL DEFAULT 1 CHECK (required_approvals IN (1, 2));
      ALTER TABLE approvals ADD COLUMN votes TEXT NOT NULL DEFAULT '[]';
      ALTER TABLE approvals ADD COLUMN vote_count INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE approvals ADD COLUMN reminded_at TEXT;
      ALTER TABLE approvals ADD COLUMN resumed_at TEXT;
      CREATE INDEX approvals_unresumed ON approvals (resumed_at, status);
    `,
  },
  // Version 3 is reserved (audit log) and goes above this one, in order.
  {
    version: 4,
    description: "execution status: machine, parent, incident, status, start and stop on executions",
    sql: `
      ALTER TABLE executions ADD COLUMN state_machine_arn TEXT;
      ALTER TABLE executions ADD COLUMN parent_execution_arn TEXT;
      ALTER TABLE executions ADD COLUMN incident_id TEXT;
      ALTER TABLE executions ADD COLUMN status TEXT NOT NULL DEFAULT 'RUNNING' CHECK (status IN ('RUNNING', 'SUCCEEDED', 'FAILED', 'ABORTED', 'TIMED_OUT'));
      ALTER TABLE executions ADD COLUMN started_at TEXT;
      ALTER TABLE executions ADD COLUMN stopped_at TEXT;
      CREATE INDEX executions_by_incident ON executions (incident_id);
      CREATE INDEX executions_by_status ON executions (status, first_event_at);

      -- Executions recorded before this version: what their history already says.
      UPDATE executions SET
        started_at = first_event_at,
        state_machine_arn = (SELECT json_extract(details, '$.stateMachineArn') FROM history_events h WHERE h.execution_arn = executions.execution_arn AND h.type = 'ExecutionStarted'),
        parent_execution_arn = (SELECT json_extract(details, '$.parentExecutionArn') FROM history_events h WHERE h.execution_arn = executions.execution_arn AND h.type = 'ExecutionStarted');
      UPDATE executions SET
        status = coalesce((SELECT CASE h.type WHEN 'ExecutionSucceeded' THEN 'SUCCEEDED' WHEN 'ExecutionFailed' THEN 'FAILED' WHEN 'ExecutionAborted' THEN 'ABORTED' ELSE 'TIMED_OUT' END
                           FROM history_events h WHERE h.execution_arn = executions.execution_arn AND h.type IN ('ExecutionSucceeded', 'ExecutionFailed', 'ExecutionAborted', 'ExecutionTimedOut')), 'RUNNING'),
        stopped_at = (SELECT h.timestamp FROM history_events h WHERE h.execution_arn = executions.execution_arn AND h.type IN ('ExecutionSucceeded', 'ExecutionFailed', 'ExecutionAborted', 'ExecutionTimedOut'));
    `,
  },
  {
    version: 5,
    description: "refused events: what detect refused, why, and the event's digest and size (one per execution)",
    // IF NOT EXISTS: before this version the refused-event log created this very table itself,
    // so a file from then may already hold it (with its rows), in exactly this shape.
    sql: `
      CREATE TABLE IF NOT EXISTS refused_events (
        at             TEXT NOT NULL,
        runbook_id     TEXT NOT NULL,
        execution_arn  TEXT NOT NULL PRIMARY KEY,
        event_id       TEXT,
        source         TEXT,
        error          TEXT NOT NULL,
        reason         TEXT NOT NULL,
        sha256         TEXT NOT NULL,
        bytes          INTEGER NOT NULL
      );
    `,
  },
  {
    version: 6,
    description: "indexes for the per-incident writes: executions by parent (linking a family), dedupe keys by incident (closing)",
    // Without them, linking an incident's executions built an automatic index over every execution
    // and closing an incident scanned every dedupe key: both grew with the file.
    sql: `
      CREATE INDEX IF NOT EXISTS executions_by_parent ON executions (parent_execution_arn);
      CREATE INDEX IF NOT EXISTS dedupe_keys_by_incident ON dedupe_keys (incident_id);
    `,
  },
  {
    version: 7,
    description: "history in chunks: the events of an execution that one write stores, in one row, each document (input, output, parameters) once per execution",
    // A row per event cost ~12 µs of SQLite work, 117 times an incident; and ~185 KiB of an
    // incident's ~190 KiB of history were documents, each state's input the last one's output.
    // Chunks of a write's events, with documents stored once, were the largest saving left on
    // the SQLite path. history_events keeps what was written before this version (read, never written).
    sql: `
      CREATE TABLE history_chunks (
        execution_arn TEXT NOT NULL REFERENCES executions (execution_arn),
        first_id      INTEGER NOT NULL CHECK (first_id >= 1),
        last_id       INTEGER NOT NULL CHECK (last_id >= first_id),
        events        TEXT NOT NULL,
        PRIMARY KEY (execution_arn, first_id)
      );
    `,
  },
  {
    version: 8,
    description: "abort requests: who asked to stop which running executions, when and why, and which process took the request",
    // The running process polls for untaken requests while it runs incidents: the index keeps that look small.
    sql: `
      CREATE TABLE abort_requests (
        request_id      TEXT PRIMARY KEY,
        incident_id     TEXT,
        execution_arns  TEXT NOT NULL,
        requested_by    TEXT NOT NULL,
        requested_at    TEXT NOT NULL,
        reason          TEXT NOT NULL,
        taken_at        TEXT,
        taken_by        TEXT
      );
      CREATE INDEX abort_requests_untaken ON abort_requests (taken_at, requested_at);
    `,
  },
  {
    version: 9,
    description: "approvals may be withdrawn (their incident aborted: by whom, why; decided_at is when); abort requests record why a process gave one back",
    // SQLite cannot change a CHECK in place: the table is rebuilt with every column, default and
    // constraint of versions 1 and 2, its rows copied, and its indexes made again.
    sql: `
      CREATE TABLE approvals_v9 (
        approval_id         TEXT PRIMARY KEY,
        incident_id         TEXT NOT NULL,
        step_id             TEXT NOT NULL,
        status              TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'expired', 'withdrawn')),
        requested_at        TEXT NOT NULL,
        deadline            TEXT NOT NULL,
        deadline_ms         INTEGER NOT NULL,
        decided_at          TEXT,
        decided_by          TEXT,
        comment             TEXT,
        approvers           TEXT NOT NULL,
        plan                TEXT NOT NULL,
        digest              TEXT NOT NULL,
        task_token          TEXT NOT NULL,
        record              TEXT,
        requester           TEXT,
        required_approvals  INTEGER NOT NULL DEFAULT 1 CHECK (required_approvals IN (1, 2)),
        votes               TEXT NOT NULL DEFAULT '[]',
        vote_count          INTEGER NOT NULL DEFAULT 0,
        reminded_at         TEXT,
        resumed_at          TEXT,
        withdrawn_by        TEXT,
        withdrawn_reason    TEXT,
        CHECK (status <> 'withdrawn' OR (withdrawn_by IS NOT NULL AND withdrawn_reason IS NOT NULL AND decided_at IS NOT NULL))
      );
      INSERT INTO approvals_v9 (approval_id, incident_id, step_id, status, requested_at, deadline, deadline_ms, decided_at, decided_by, comment, approvers, plan, digest, task_token,
                                record, requester, required_approvals, votes, vote_count, reminded_at, resumed_at)
        SELECT approval_id, incident_id, step_id, status, requested_at, deadline, deadline_ms, decided_at, decided_by, comment, approvers, plan, digest, task_token,
               record, requester, required_approvals, votes, vote_count, reminded_at, resumed_at
        FROM approvals ORDER BY rowid;
      DROP TABLE approvals;
      ALTER TABLE approvals_v9 RENAME TO approvals;
      CREATE INDEX approvals_pending ON approvals (status, incident_id);
      CREATE INDEX approvals_unresumed ON approvals (resumed_at, status);

      ALTER TABLE abort_requests ADD COLUMN failed_at TEXT;
      ALTER TABLE abort_requests ADD COLUMN failed_by TEXT;
      ALTER TABLE abort_requests ADD COLUMN failed_reason TEXT;
    `,
  },
  {
    version: 10,
    description: "runners: each process that runs incidents (pid, host, heartbeat, end), and the runner that started each execution",
    // Another process asks whether the run behind a RUNNING execution is still alive (an answer to
    // its approval resumes nothing otherwise). Executions written before this version name none.
    sql: `
      CREATE TABLE runners (
        runner_id     TEXT PRIMARY KEY,
        pid           INTEGER NOT NULL,
        hostname      TEXT NOT NULL,
        started_at    TEXT NOT NULL,
        heartbeat_ms  INTEGER NOT NULL,
        ended_at      TEXT
      );
      ALTER TABLE executions ADD COLUMN runner_id TEXT;
    `,
  },
];

/** What `tryImmediate` answers when another connection holds the write lock: nothing was run. */
export const WRITE_LOCKED: unique symbol = Symbol("write lock held by another connection");

const isBusy = (error: unknown): error is Database.SqliteError => error instanceof Database.SqliteError && (error.code === "SQLITE_BUSY" || error.code === "SQLITE_LOCKED");

/** The pause before the next try at a lock: short at first (the holder is usually a batch of a few ms), at most 2 ms. */
const lockPauseMs = (attempt: number): number => Math.min(0.05 * 2 ** attempt, 2);

const pauseCell = new Int32Array(new SharedArrayBuffer(4));

/** Blocks this thread for `ms` without spinning (the store's API is synchronous, as better-sqlite3 is). */
const pause = (ms: number): void => void Atomics.wait(pauseCell, 0, 0, ms);

/**
 * Runs `attempt` until it does not fail with SQLite's busy error, pausing `pauseMs(n)` after the
 * n-th try; once `busyTimeoutMs` has passed, the busy error is thrown. Any other error at once.
 */
function retryWhileBusy<T>(busyTimeoutMs: number, pauseMs: (attempt: number) => number, attempt: () => T): T {
  const deadline = Date.now() + busyTimeoutMs;
  for (let tries = 1; ; tries++) {
    try {
      return attempt();
    } catch (error) {
      const left = deadline - Date.now();
      if (!isBusy(error) || left <= 0) throw error;
      pause(Math.min(pauseMs(tries), left));
    }
  }
}

interface TransactionStatements {
  readonly noWait: Database.Statement;
  readonly wait: Database.Statement;
  readonly begin: Database.Statement;
  readonly commit: Database.Statement;
  readonly rollback: Database.Statement;
}

export class EmbeddedDatabase {
  readonly path: string;
  readonly db: Database.Database;
  /** How long a writer waits for another connection's write lock before SQLITE_BUSY. */
  readonly busyTimeoutMs: number;
  private statements: TransactionStatements | undefined;

  private constructor(path: string, db: Database.Database, busyTimeoutMs: number) {
    this.path = path;
    this.db = db;
    this.busyTimeoutMs = busyTimeoutMs;
  }

  /** Opens (creating it, unless `existing`) the database file and brings its schema to the latest version. */
  static open(options: EmbeddedDatabaseOptions = {}, migrations: readonly Migration[] = MIGRATIONS): EmbeddedDatabase {
    const path = options.path ?? join(options.dir ?? DEFAULT_DIRECTORY, DATABASE_FILE);
    if (options.existing !== undefined) return EmbeddedDatabase.openExisting(path, options.existing, Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000)), migrations);
    mkdirSync(dirname(path), { recursive: true });
    let db: Database.Database;
    try {
      db = new Database(path);
    } catch (error) {
      // A folder where the file should be, a file that cannot be opened: said as the readers say it.
      throw new NotAnIrflowStore(path, error instanceof Error ? error.message : String(error));
    }
    try {
      // The busy handler first: switching a new file to WAL takes a lock another opener may hold.
      const busyTimeoutMs = Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000));
      db.pragma(`busy_timeout = ${busyTimeoutMs}`);
      // Another application's database is left as it is: irflow makes its tables only in a new or empty file.
      const tables = unlessNotADatabase(path, () => db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'").all());
      if (tables.length > 0 && !tables.some((table) => table.name === "schema_version")) {
        throw new NotAnIrflowStore(path, "an SQLite database without irflow's tables (irflow makes its store only in a new or empty file)");
      }
      unlessNotADatabase(path, () => switchToWal(db, busyTimeoutMs));
      db.pragma("synchronous = NORMAL");
      db.pragma("foreign_keys = ON");
      const database = new EmbeddedDatabase(path, db, busyTimeoutMs);
      database.migrate(migrations);
      return database;
    } catch (error) {
      db.close();
      throw error;
    }
  }

  private static openExisting(path: string, access: "read" | "write", busyTimeoutMs: number, migrations: readonly Migration[]): EmbeddedDatabase {
    let db: Database.Database;
    try {
      db = new Database(path, { fileMustExist: true, readonly: access === "read" });
    } catch (error) {
      throw new NotAnIrflowStore(path, error instanceof Error ? error.message : String(error));
    }
    try {
      db.pragma(`busy_timeout = ${busyTimeoutMs}`);
      // SQLite reads nothing until the first statement: this is where a file that is not a database says so.
      const schema = unlessNotADatabase(path, () => db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").get());
      if (schema === undefined) throw new NotAnIrflowStore(path, "an SQLite database without irflow's tables");
      const database = new EmbeddedDatabase(path, db, busyTimeoutMs);
      if (access === "write") {
        switchToWal(db, busyTimeoutMs);
        db.pragma("synchronous = NORMAL");
        db.pragma("foreign_keys = ON");
        database.migrate(migrations);
        return database;
      }
      const applied = new Set(database.appliedMigrations().map((m) => m.version));
      if (migrations.every((m) => applied.has(m.version)) && database.schemaVersion() <= (migrations.at(-1)?.version ?? 0)) return database;
      // Older (or newer) than this irflow: the read-write open migrates it (or says it is too new), then read again.
      db.close();
      EmbeddedDatabase.openExisting(path, "write", busyTimeoutMs, migrations).close();
      return EmbeddedDatabase.openExisting(path, "read", busyTimeoutMs, migrations);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** The schema version this file is at (0 before any migration). */
  schemaVersion(): number {
    const row = this.db.prepare<[], { version: number | null }>("SELECT max(version) AS version FROM schema_version").get();
    return row?.version ?? 0;
  }

  /** Applied versions, oldest first. */
  appliedMigrations(): { version: number; appliedAt: string }[] {
    return this.db.prepare<[], { version: number; appliedAt: string }>("SELECT version, applied_at AS appliedAt FROM schema_version ORDER BY version").all();
  }

  /**
   * Runs `work` in a `BEGIN IMMEDIATE` transaction: the write lock is taken before the first read,
   * so a read-modify-write in another process waits (up to the busy timeout) instead of both deciding on the
   * same state. Rolls back if `work` throws. Nested calls join the outer transaction.
   */
  immediate<T>(work: () => T): T {
    if (this.db.inTransaction) return work();
    // Our own wait, not SQLite's busy handler: that one sleeps 1, 2, 5, 10 … 100 ms between tries,
    // so a writer kept sleeping long after a batch of a few ms had committed (two runners on
    // one file spent most of their time there, and one could starve past the timeout).
    retryWhileBusy(this.busyTimeoutMs, lockPauseMs, () => {
      const busy = this.beginWithoutWaiting();
      if (busy !== undefined) throw busy;
    });
    return this.finish(work);
  }

  /**
   * `immediate` that never waits for the lock: when another connection holds it, answers
   * `WRITE_LOCKED` at once without running `work`, so an asynchronous caller can try again on a
   * later turn and let its thread work meanwhile. Nested calls join the outer transaction.
   */
  tryImmediate<T>(work: () => T): T | typeof WRITE_LOCKED {
    if (this.db.inTransaction) return work();
    return this.beginWithoutWaiting() === undefined ? this.finish(work) : WRITE_LOCKED;
  }

  /** `BEGIN IMMEDIATE` with no busy handler; the busy error when the lock is held, with nothing begun. */
  private beginWithoutWaiting(): Database.SqliteError | undefined {
    const statements = this.transactionStatements();
    statements.noWait.get();
    try {
      statements.begin.run();
      return undefined;
    } catch (error) {
      if (isBusy(error) && !this.db.inTransaction) return error;
      throw error;
    } finally {
      // Statements inside the transaction (and every other one) keep the normal busy timeout.
      statements.wait.get();
    }
  }

  /** Runs `work` in the transaction just begun; commits, or rolls back and rethrows. */
  private finish<T>(work: () => T): T {
    const { commit, rollback } = this.transactionStatements();
    try {
      const result = work();
      if (result instanceof Promise) throw new TypeError("embedded database: a transaction's work must be synchronous");
      commit.run();
      return result;
    } catch (error) {
      if (this.db.inTransaction) rollback.run();
      throw error;
    }
  }

  private transactionStatements(): TransactionStatements {
    this.statements ??= {
      noWait: this.db.prepare("PRAGMA busy_timeout = 0"),
      wait: this.db.prepare(`PRAGMA busy_timeout = ${this.busyTimeoutMs}`),
      begin: this.db.prepare("BEGIN IMMEDIATE"),
      commit: this.db.prepare("COMMIT"),
      rollback: this.db.prepare("ROLLBACK"),
    };
    return this.statements;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private migrate(migrations: readonly Migration[]): void {
    const versions = migrations.map((m) => m.version);
    if (versions.some((v, i) => !Number.isInteger(v) || v < 1 || (i > 0 && v <= versions[i - 1]!))) {
      throw new Error(`embedded database: migration versions must be increasing positive integers, got ${versions.join(", ")}`);
    }
    this.db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)");
    // One immediate transaction: a second process opening at the same moment waits, then sees
    // the versions applied and has nothing to do.
    this.immediate(() => {
      const current = this.schemaVersion();
      const latest = versions.at(-1) ?? 0;
      if (current > latest) throw new Error(`embedded database ${this.path} is at schema version ${current}, newer than this irflow knows (${latest})`);
      const record = this.db.prepare<[number, string, string]>("INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)");
      // By version applied, not by the highest: a file that has 1 and 4 still gets 2 and 3 once they exist.
      const applied = new Set(this.appliedMigrations().map((m) => m.version));
      for (const migration of migrations) {
        if (applied.has(migration.version)) continue;
        this.db.exec(migration.sql);
        record.run(migration.version, migration.description, new Date().toISOString());
      }
    });
  }
}

/**
 * `journal_mode = WAL` on a file another process is creating or switching at the same moment can
 * answer SQLITE_BUSY at once, without the busy handler (SQLite avoids a deadlock that way); it is
 * tried again, a little later each time, until the busy timeout has passed.
 */
export function switchToWal(db: Pick<Database.Database, "pragma">, busyTimeoutMs: number): void {
  retryWhileBusy(busyTimeoutMs, (attempt) => Math.min(5 * attempt, 50), () => void db.pragma("journal_mode = WAL"));
}

/** `work`, with SQLite's "file is not a database" (or an unreadable file) said as `NotAnIrflowStore`. */
function unlessNotADatabase<T>(path: string, work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof Database.SqliteError && (error.code === "SQLITE_NOTADB" || error.code.startsWith("SQLITE_IOERR") || error.code === "SQLITE_CORRUPT")) {
      throw new NotAnIrflowStore(path, error.code === "SQLITE_NOTADB" ? "not an SQLite database" : `${error.message} (${error.code})`);
    }
    throw error;
  }
}

/** JSON text for a column. */
export function toColumn(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) throw new Error("embedded database: value is not JSON");
  return text;
}

/** A JSON column back as the type it was stored as (the store wrote it; nothing else does). */
export function fromColumn<T>(text: string): T {
  return JSON.parse(text) as T;
}
