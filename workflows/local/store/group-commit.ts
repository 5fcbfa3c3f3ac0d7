import Database, { type Statement } from "better-sqlite3";
import { afterMicrotasks } from "../after-microtasks.js";
import { WRITE_LOCKED, type EmbeddedDatabase } from "./embedded-database.js";

/** Told how a queued work ended, once its batch has committed (or failed to). */
export type Settle = (error: Error | undefined, value: unknown) => void;

interface Queued {
  readonly work: () => unknown;
  readonly settle: Settle;
}

interface Done {
  readonly item: Queued;
  readonly error: Error | undefined;
  readonly value: unknown;
}

const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

/** Follow-up batches run in a row before the queue waits for a turn of the event loop again. */
export const FOLLOW_UPS_PER_TURN = 32;

/**
 * Group commit for the embedded database: the writes that concurrent incidents ask for during one
 * turn of the event loop run in one `BEGIN IMMEDIATE` transaction at the end of the turn, each in
 * its own savepoint; what the waiters of a batch write next, in a follow-up batch as soon as they
 * have all written it (see `followUp`). A local incident made ~35 small transactions (26 of them
 * single audit entries), and the commit, not the insert, was most of their cost.
 *
 * What each caller gets is unchanged: its work runs atomically under the write lock (so a
 * read-modify-write in another process still queues behind it), a failing work rolls back alone
 * and rejects only its own promise, and a promise settles only after the COMMIT, so nothing is
 * acted on before it is durable. If the COMMIT itself fails, every work of the batch is rejected.
 * The lock is held only while the batch runs, never across turns.
 */
export class GroupCommit {
  private queue: Queued[] = [];
  private scheduled = false;
  /** When a scheduled batch first found another connection holding the write lock (undefined while it has not). */
  private lockedSince: number | undefined;
  private savepoints?: { readonly begin: Statement; readonly release: Statement; readonly rollback: Statement };
  /** Follow-up batches run since the event loop last ran a scheduled one. */
  private followUps = 0;

  constructor(
    private readonly database: EmbeddedDatabase,
    private readonly followUpsPerTurn = FOLLOW_UPS_PER_TURN,
  ) {}

  /** Runs `work` in the next batch; settles with its result once the batch is committed. */
  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.add(work, (error, value) => (error === undefined ? resolve(value as T) : reject(error)));
    });
  }

  /**
   * `run` without a promise, for writers that queue many works and wait for some (history: one
   * work per write of an execution's events): `settle` is called once the batch that ran `work`
   * has committed, or failed.
   */
  add(work: () => unknown, settle: Settle): void {
    this.queue.push({ work, settle });
    this.schedule();
  }

  /** A batch on the next turn of the event loop, or after `delayMs` (a retry behind another connection's lock). */
  private schedule(delayMs?: number): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const turn = () => {
      this.scheduled = false;
      this.followUps = 0;
      this.write(false);
    };
    if (delayMs === undefined) setImmediate(turn);
    else setTimeout(turn, delayMs);
  }

  /**
   * The waiters just settled go on in the microtasks that follow; what they write next is
   * committed as soon as they have all run (on the tick after the microtask queue drains), not a
   * turn of the event loop later: an incident waits for a commit at each step, and a whole turn
   * per step put every other incident's work between two of its steps (4 at a time reached
   * containment 3-5x later than with memory stores). At most `followUpsPerTurn` in a row, then the
   * queue waits for its turn again, so timers and I/O are not starved.
   */
  private followUp(): void {
    if (this.followUps >= this.followUpsPerTurn) return;
    afterMicrotasks(() => {
      if (this.queue.length === 0 || this.followUps >= this.followUpsPerTurn) return;
      this.followUps += 1;
      this.write(false);
    });
  }

  /**
   * A scheduled batch that finds another connection (another runner) holding the write lock is
   * put back, in front and in order, and tried again a millisecond later: this thread's incidents
   * go on meanwhile instead of the whole thread blocking on the lock. Once it has found the lock
   * held for the busy timeout, a last try that still finds it held fails the batch with SQLITE_BUSY
   * (waiting as a reader's flush does would block the thread for a second timeout).
   */
  private retryLater(batch: Queued[]): void {
    this.queue = batch.concat(this.queue);
    this.lockedSince ??= Date.now();
    this.schedule(1);
  }

  /** Whether writes are queued and not yet run (a reader that must see them calls `flush` first). */
  get pending(): boolean {
    return this.queue.length > 0;
  }

  /**
   * Runs and commits what is queued now. Also called by readers that must see queued writes; a
   * call from inside a running batch does nothing (the reader is already in its transaction), nor
   * from inside another transaction: the works would join it and be settled before it commits (or
   * after it rolled back), so they wait for their own batch.
   */
  flush(): void {
    this.write(true);
  }

  /** Runs and commits the queue; `waitForLock` false: puts it back for later when another connection holds the lock. */
  private write(waitForLock: boolean): void {
    if (this.queue.length === 0) return;
    // Its scheduled turn runs it (a transaction is never left open across turns).
    if (this.database.db.inTransaction) return;
    const batch = this.queue;
    this.queue = [];
    const done: Done[] = [];
    const writeBatch = () => {
      const { begin, release, rollback } = this.statements();
      for (const item of batch) {
        // Each work in its own savepoint, rolled back alone when it throws.
        begin.run();
        try {
          const value = item.work();
          release.run();
          done.push({ item, error: undefined, value });
        } catch (error) {
          rollback.run();
          release.run();
          done.push({ item, error: asError(error), value: undefined });
        }
      }
    };
    try {
      if ((waitForLock ? this.database.immediate(writeBatch) : this.database.tryImmediate(writeBatch)) === WRITE_LOCKED) {
        // Nothing of it ran.
        if (!this.pastBusyTimeout()) {
          this.retryLater(batch);
          return;
        }
        throw new Database.SqliteError(`database is locked (another connection held the write lock for over ${this.database.busyTimeoutMs} ms)`, "SQLITE_BUSY");
      }
    } catch (error) {
      // BEGIN or COMMIT failed: nothing of the batch is durable.
      this.lockedSince = undefined;
      const failure = asError(error);
      for (const item of batch) item.settle(failure, undefined);
      return;
    }
    this.lockedSince = undefined;
    for (const { item, error, value } of done) item.settle(error, value);
    this.followUp();
  }

  private pastBusyTimeout(): boolean {
    return this.lockedSince !== undefined && Date.now() - this.lockedSince >= this.database.busyTimeoutMs;
  }

  /** Prepared once: a savepoint per work is most of what the batch adds to the work itself. */
  private statements() {
    const { db } = this.database;
    this.savepoints ??= { begin: db.prepare("SAVEPOINT group_work"), release: db.prepare("RELEASE group_work"), rollback: db.prepare("ROLLBACK TO group_work") };
    return this.savepoints;
  }
}

const groups = new WeakMap<EmbeddedDatabase, GroupCommit>();

/** The database's one group commit: every store of a process on that database shares its batches. */
export function groupCommitOf(database: EmbeddedDatabase): GroupCommit {
  let group = groups.get(database);
  if (!group) {
    group = new GroupCommit(database);
    groups.set(database, group);
  }
  return group;
}
