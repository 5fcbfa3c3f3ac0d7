import type { HistoryEvent, HistorySink } from "../history.js";
import type { GroupCommit } from "./group-commit.js";

interface Waiter {
  /** Settled once this many writes of the execution have been. */
  readonly upTo: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** One execution's writes: how many were queued and settled so far, and who waits for some of them. */
interface Progress {
  queued: number;
  settled: number;
  waiters: Waiter[];
}

/**
 * History writes of concurrent executions ride the database's group commit, so one transaction per
 * turn of the event loop holds history, audit, journal and execution rows (history in a
 * transaction of its own made two commits per turn). An append only queues (an execution does
 * not wait a turn per event); `drained` settles once everything its execution queued so far has
 * committed, and fails if one of its writes was refused (a duplicate event). Each write runs in
 * its own savepoint, so a refused one fails only its own execution, and after it nothing more of
 * that execution is written (its history would not chain). Writes keep their order (links
 * included), so a row is created by the event that first names it, as without batching.
 */
export class BatchedHistory implements HistorySink {
  private readonly progress = new Map<string, Progress>();
  private readonly failures = new Map<string, Error>();

  constructor(
    private readonly inner: HistorySink,
    private readonly group: GroupCommit,
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
    const progress = this.progress.get(executionArn);
    if (progress === undefined) return Promise.resolve();
    return new Promise<void>((resolve, reject) => progress.waiters.push({ upTo: progress.queued, resolve, reject }));
  }

  /** Writes what is queued now, with every other write queued on the database (also run by itself at the end of the turn). */
  flush(): void {
    this.group.flush();
  }

  private enqueue(executionArn: string, write: () => void): void {
    let progress = this.progress.get(executionArn);
    if (progress === undefined) {
      progress = { queued: 0, settled: 0, waiters: [] };
      this.progress.set(executionArn, progress);
    }
    progress.queued += 1;
    this.group.add(
      () => {
        if (this.failures.has(executionArn)) return;
        try {
          write();
        } catch (error) {
          // Known at once, so the execution's later writes in this same batch are skipped.
          this.failures.set(executionArn, error instanceof Error ? error : new Error(String(error)));
          throw error;
        }
      },
      (error) => this.settled(executionArn, error),
    );
  }

  private settled(executionArn: string, error: Error | undefined): void {
    if (error !== undefined && !this.failures.has(executionArn)) this.failures.set(executionArn, error);
    const progress = this.progress.get(executionArn);
    if (progress === undefined) return;
    progress.settled += 1;
    if (progress.settled === progress.queued) this.progress.delete(executionArn);
    if (progress.waiters.length === 0) return;
    const failure = this.failures.get(executionArn);
    // A failure answers every waiter at once: what is still queued will not be written.
    const due = failure === undefined ? progress.waiters.filter((waiter) => waiter.upTo <= progress.settled) : progress.waiters;
    progress.waiters = failure === undefined ? progress.waiters.filter((waiter) => waiter.upTo > progress.settled) : [];
    for (const waiter of due) {
      if (failure === undefined) waiter.resolve();
      else waiter.reject(failure);
    }
  }
}
