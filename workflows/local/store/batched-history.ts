import type { HistoryEvent, HistorySink } from "../history.js";
import type { GroupCommit } from "./group-commit.js";

/**
 * History writes of concurrent executions ride the database's group commit, so one transaction per
 * turn of the event loop holds history, audit, journal and execution rows (history in a
 * transaction of its own made two commits per turn). An append only queues (an execution does
 * not wait a turn per event); `drained` settles once everything its execution queued so far has
 * committed, and fails if one of its writes was refused (a duplicate event). The events an
 * execution appends while its last queued write has not run join that write, which runs in its
 * own savepoint (a savepoint per event was a tenth of the history's cost): a refused event fails
 * only its own execution, and after it nothing more of that execution is written (its history
 * would not chain). Writes keep their order (links and `drained` markers included), so a row is
 * created by the event that first names it, as without batching.
 */
export class BatchedHistory implements HistorySink {
  /** Writes queued per execution and not yet settled (none: `drained` has nothing to wait for). */
  private readonly unsettled = new Map<string, number>();
  private readonly failures = new Map<string, Error>();
  /** Per execution: the events of its queued write that has not run yet, which the next append joins. */
  private readonly open = new Map<string, HistoryEvent[]>();

  constructor(
    private readonly inner: HistorySink,
    private readonly group: GroupCommit,
  ) {}

  append(executionArn: string, event: HistoryEvent): void {
    const joined = this.open.get(executionArn);
    if (joined !== undefined) {
      joined.push(event);
      return;
    }
    const events = [event];
    this.enqueue(
      executionArn,
      () => {
        if (this.inner.appendAll) this.inner.appendAll(executionArn, events);
        else for (const each of events) void this.inner.append(executionArn, each);
      },
      events,
    );
    this.open.set(executionArn, events);
  }

  /** Settles when the link is committed (it is written in order with the events). */
  linkIncident(executionArn: string, incidentId: string): Promise<void> {
    this.enqueue(executionArn, () => void this.inner.linkIncident?.(executionArn, incidentId));
    return this.drained(executionArn);
  }

  /**
   * Settles when everything queued for the execution so far is committed; rejects with the first
   * write of it that failed. A marker queued now runs after all of them, in the same order, and
   * reads the execution's failure at its own place: a write queued after it cannot fail it.
   */
  drained(executionArn: string): Promise<void> {
    const failure = this.failures.get(executionArn);
    if (failure !== undefined) return Promise.reject(failure);
    if (!this.unsettled.has(executionArn)) return Promise.resolve();
    // What is appended from now on goes after the marker.
    this.open.delete(executionArn);
    return this.group.run(() => this.failures.get(executionArn)).then(
      (failed) => (failed === undefined ? undefined : Promise.reject(failed)),
      // The group rejects with an Error (the batch's COMMIT failed).
      (error: Error) => this.failed(executionArn, error),
    );
  }

  /** Rejects with the execution's failure, or else `error` (the marker's batch failed to commit). */
  private failed(executionArn: string, error?: Error): Promise<void> {
    const failure = this.failures.get(executionArn) ?? error;
    return failure === undefined ? Promise.resolve() : Promise.reject(failure);
  }

  /**
   * Queues a write of the execution after everything it queued so far (an append from now on starts
   * a new one); `events`, the list an append's write writes, is closed to appends when it runs.
   */
  private enqueue(executionArn: string, write: () => void, events?: HistoryEvent[]): void {
    this.open.delete(executionArn);
    this.unsettled.set(executionArn, (this.unsettled.get(executionArn) ?? 0) + 1);
    this.group.add(
      () => {
        if (events !== undefined && this.open.get(executionArn) === events) this.open.delete(executionArn);
        if (this.failures.has(executionArn)) return;
        try {
          write();
        } catch (error) {
          // Known at once, so the execution's later writes in this same batch are skipped.
          this.fail(executionArn, error instanceof Error ? error : new Error(String(error)));
          throw error;
        }
      },
      (error) => this.settled(executionArn, error, events),
    );
  }

  private settled(executionArn: string, error: Error | undefined, events: HistoryEvent[] | undefined): void {
    // A batch that failed before running its works did not close the list.
    if (events !== undefined && this.open.get(executionArn) === events) this.open.delete(executionArn);
    if (error !== undefined) this.fail(executionArn, error);
    const left = (this.unsettled.get(executionArn) ?? 1) - 1;
    if (left > 0) this.unsettled.set(executionArn, left);
    else this.unsettled.delete(executionArn);
  }

  /** The execution's first failure is kept; its later writes are skipped and its end is never written, so the sink forgets it. */
  private fail(executionArn: string, error: Error): void {
    if (this.failures.has(executionArn)) return;
    this.failures.set(executionArn, error);
    this.inner.forget?.(executionArn);
  }
}
