import type { EmbeddedDatabase } from "./embedded-database.js";

interface Queued {
  readonly work: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
}

interface Done {
  readonly item: Queued;
  readonly ok: boolean;
  readonly value: unknown;
}

const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

/**
 * Group commit for the embedded database: the writes that concurrent incidents ask for during one
 * turn of the event loop run in one `BEGIN IMMEDIATE` transaction at the end of the turn, each in
 * its own savepoint. A local incident made ~35 small transactions (26 of them single audit
 * entries), and the commit, not the insert, was most of their cost.
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

  constructor(private readonly database: EmbeddedDatabase) {}

  /** Runs `work` in the next batch; settles with its result once the batch is committed. */
  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
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
    if (this.queue.length === 0) return;
    // Its scheduled turn runs it (a transaction is never left open across turns).
    if (this.database.db.inTransaction) return;
    const batch = this.queue;
    this.queue = [];
    const done: Done[] = [];
    try {
      this.database.immediate(() => {
        for (const item of batch) {
          try {
            // Nested: a savepoint, rolled back alone when this work throws.
            done.push({ item, ok: true, value: this.database.db.transaction(item.work)() });
          } catch (error) {
            done.push({ item, ok: false, value: asError(error) });
          }
        }
      });
    } catch (error) {
      // BEGIN or COMMIT failed: nothing of the batch is durable.
      const failure = asError(error);
      for (const item of batch) item.reject(failure);
      return;
    }
    for (const { item, ok, value } of done) {
      if (ok) item.resolve(value);
      else item.reject(value as Error);
    }
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
