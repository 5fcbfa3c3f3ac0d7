import { afterMicrotasks } from "./after-microtasks.js";

/**
 * Keeps a task's own events behind its state's: the library calls a Task's local handler right
 * after dispatching that state's StateEntered (or StateRetried) event, but its async generator
 * hands the event to us only later. A handler's n-th invocation for a state therefore waits until
 * the n-th attempt of that state has been recorded (and, in a machine with Map or Parallel states,
 * the microtasks that carry nested events have run) before it records TaskScheduled. It never
 * waits for a turn of the event loop: that put every other incident's work of the turn (commits,
 * timers, I/O) between a task's entry and its start, ~10 ms per Map task with 4 incidents at once.
 */
export class AttemptBarrier {
  private readonly invoked = new Map<string, number>();
  private readonly seen = new Map<string, number>();
  private readonly waiters = new Map<string, { readonly attempt: number; readonly release: () => void }[]>();
  private open = false;
  /** A Map or Parallel state has been entered (as recorded): nested events may be in flight from now on. */
  private nestedEntered = false;

  /**
   * `nested`: the machine has Map or Parallel states, whose events reach the log through the
   * library's own forwarding loops (promise chains), which may lag behind; once one of them has
   * been entered, a handler also waits until the microtasks queued so far have run. Until then
   * (and in a machine without them) the log is one FIFO queue and the wait is not needed.
   */
  constructor(private readonly nested = true) {}

  /**
   * The library has entered a Map or Parallel state, and the event is recorded. A task inside it
   * is invoked only after this is recorded (its own entry is forwarded behind it), so it waits.
   */
  nestedStateEntered(): void {
    this.nestedEntered = true;
  }

  /** The library has entered or retried Task state `state`, and the event is recorded. */
  attemptRecorded(state: string): void {
    const seen = (this.seen.get(state) ?? 0) + 1;
    this.seen.set(state, seen);
    // When no handler waits for this state yet (its event came first), there is nothing to copy.
    const waiting = this.waiters.get(state);
    if (waiting === undefined) return;
    const later = waiting.filter((waiter) => waiter.attempt > seen);
    if (later.length === 0) this.waiters.delete(state);
    else this.waiters.set(state, later);
    for (const waiter of waiting) if (waiter.attempt <= seen) waiter.release();
  }

  /** Called by a handler as it starts; resolves once its attempt's event is recorded. */
  async invocation(state: string): Promise<void> {
    const attempt = (this.invoked.get(state) ?? 0) + 1;
    this.invoked.set(state, attempt);
    if (!this.open && (this.seen.get(state) ?? 0) < attempt) {
      await new Promise<void>((release) => {
        const waiting = this.waiters.get(state);
        if (waiting === undefined) this.waiters.set(state, [{ attempt, release }]);
        else waiting.push({ attempt, release });
      });
    }
    if (this.nested && this.nestedEntered) await new Promise<void>(afterMicrotasks);
  }

  /** The execution has ended: nobody waits any more. */
  release(): void {
    this.open = true;
    for (const waiting of this.waiters.values()) for (const waiter of waiting) waiter.release();
    this.waiters.clear();
  }
}
