/** What an execution's stop reaches: a running task attempt. */
export interface StopListener {
  executionStopped(reason: Error): void;
}

/**
 * The stop of one execution (StopExecution, its timeout, or its end), told to the task attempts
 * running when it comes, first joined first. A set rather than an AbortController: no EventTarget
 * per execution and no listener added and removed through one per attempt, on the hot path.
 */
export class ExecutionStop {
  private readonly running = new Set<StopListener>();
  private why: Error | undefined;

  /** Why the execution stopped; undefined while it runs. */
  get reason(): Error | undefined {
    return this.why;
  }

  /** Stops once: a later stop keeps the first reason, as a second `abort()` of a signal does. */
  stop(reason: Error): void {
    if (this.why !== undefined) return;
    this.why = reason;
    const listeners = [...this.running];
    this.running.clear();
    for (const listener of listeners) listener.executionStopped(reason);
  }

  /** Follows the execution until `leave`; a listener joining after the stop is told at once. */
  join(listener: StopListener): void {
    if (this.why !== undefined) listener.executionStopped(this.why);
    else this.running.add(listener);
  }

  leave(listener: StopListener): void {
    this.running.delete(listener);
  }
}
