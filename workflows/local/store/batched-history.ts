import type { HistoryEvent, HistorySink } from "../history.js";
import type { EmbeddedDatabase } from "./embedded-database.js";

interface Pending {
  readonly write: () => void;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Groups the history writes of concurrent executions into one immediate transaction per turn of
 * the event loop: a commit per event was most of the cost of the embedded store under load. Each
 * write runs in its own savepoint, so a refused one (a duplicate event) fails only its own append,
 * and every append settles once its transaction has committed. Writes keep their order (links
 * included), so a row is created by the event that first names it, as without batching.
 */
export class BatchedHistory implements HistorySink {
  private queue: Pending[] = [];
  private scheduled = false;

  constructor(
    private readonly inner: HistorySink,
    private readonly database: EmbeddedDatabase,
  ) {}

  append(executionArn: string, event: HistoryEvent): Promise<void> {
    return this.enqueue(() => void this.inner.append(executionArn, event));
  }

  linkIncident(executionArn: string, incidentId: string): Promise<void> {
    return this.enqueue(() => void this.inner.linkIncident?.(executionArn, incidentId));
  }

  /** Writes what is queued now (also run by itself on the next turn). */
  flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    const failures = new Map<Pending, unknown>();
    try {
      this.database.immediate(() => {
        for (const item of batch) {
          try {
            // Nested: a savepoint, rolled back alone when this write throws.
            this.database.db.transaction(item.write)();
          } catch (error) {
            failures.set(item, error);
          }
        }
      });
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    for (const item of batch) {
      if (failures.has(item)) item.reject(failures.get(item));
      else item.resolve();
    }
  }

  private enqueue(write: () => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ write, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }
}
