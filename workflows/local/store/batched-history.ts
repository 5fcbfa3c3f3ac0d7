import type { HistoryEvent, HistorySink } from "../history.js";
import type { EmbeddedDatabase } from "./embedded-database.js";

const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

interface Pending {
  readonly executionArn: string;
  readonly write: () => void;
}

interface Waiter {
  readonly executionArn: string;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Groups the history writes of concurrent executions into one immediate transaction per turn of
 * the event loop: a commit per event was most of the cost of the embedded store under load. An
 * append only queues (so an execution does not wait a turn per event); `drained` settles once
 * everything its execution queued so far has committed, and fails if one of its writes was refused
 * (a duplicate event). Each write runs in its own savepoint, so a refused one fails only its own
 * execution. Writes keep their order (links included), so a row is created by the event that
 * first names it, as without batching.
 */
export class BatchedHistory implements HistorySink {
  private queue: Pending[] = [];
  private waiters: Waiter[] = [];
  private readonly failures = new Map<string, Error>();
  private scheduled = false;

  constructor(
    private readonly inner: HistorySink,
    private readonly database: EmbeddedDatabase,
  ) {}

  append(executionArn: string, event: HistoryEvent): void {
    this.enqueue(executionArn, () => void this.inner.append(executionArn, event));
  }

  /** Settles when the link is committed (it is written in order with the events). */
  linkIncident(executionArn: string, incidentId: string): Promise<void> {
    this.enqueue(executionArn, () => void this.inner.linkIncident?.(executionArn, incidentId));
    return this.drained(executionArn);
  }

  /** Settles when everything queued for the execution so far is committed; rejects with the first write of it that failed. */
  drained(executionArn: string): Promise<void> {
    const failure = this.failures.get(executionArn);
    if (failure !== undefined) return Promise.reject(failure);
    if (!this.queue.some((item) => item.executionArn === executionArn)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => this.waiters.push({ executionArn, resolve, reject }));
  }

  /** Writes what is queued now (also run by itself on the next turn). */
  flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    const waiters = this.waiters;
    this.queue = [];
    this.waiters = [];
    if (batch.length === 0) return;
    try {
      this.database.immediate(() => {
        for (const item of batch) {
          // After a refused write, the rest of that execution's history would not chain.
          if (this.failures.has(item.executionArn)) continue;
          try {
            // Nested: a savepoint, rolled back alone when this write throws.
            this.database.db.transaction(item.write)();
          } catch (error) {
            this.failures.set(item.executionArn, asError(error));
          }
        }
      });
    } catch (error) {
      for (const item of batch) if (!this.failures.has(item.executionArn)) this.failures.set(item.executionArn, asError(error));
    }
    for (const waiter of waiters) {
      const failure = this.failures.get(waiter.executionArn);
      if (failure === undefined) waiter.resolve();
      else waiter.reject(failure);
    }
  }

  private enqueue(executionArn: string, write: () => void): void {
    this.queue.push({ executionArn, write });
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }
}
