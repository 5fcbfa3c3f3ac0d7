import { setImmediate as nextMacrotask } from "node:timers/promises";
import { stateError } from "./errors.js";
import type { ExecutionStop, StopListener } from "./execution-stop.js";
import type { HistoryDraft } from "./history.js";
import type { HistoryRecorder } from "./history-recorder.js";
import type { TaskBinding } from "./task-bindings.js";

const TIMED_OUT = "States.Timeout";

/**
 * One invocation of a Task state's local handler: its AbortSignal (the execution's, plus its own
 * timeout), and the rule that it ends once, with TaskSucceeded, TaskFailed or TaskTimedOut.
 *
 * TimeoutSeconds: the library races every Task against a timer of the same length that it sets
 * right after calling the handler. Ours is set as the handler starts, so it fires first, in the
 * same timers phase: it records TaskTimedOut and aborts the task's signal, and the handler then
 * holds its own settlement back by a macrotask (`settleAfterTimeout`), so that the library's
 * timer rejects the state with the library's own States.Timeout error, which `States.TaskFailed`
 * rightly does not match (the library tests `instanceof` its unexported error class).
 */
export class TaskAttempt implements StopListener {
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private ended = false;
  private timedOut = false;
  private readonly endListeners: (() => void)[] = [];

  constructor(
    readonly binding: TaskBinding,
    readonly executionArn: string,
    private readonly execution: ExecutionStop,
    private readonly recorder: HistoryRecorder,
  ) {
    // One controller that the execution's stop also aborts (cheaper than AbortSignal.any, which
    // tracks both sources through weak references); the attempt itself is the listener (no
    // closure per attempt), until `dispose`.
    this.signal = this.controller.signal;
    execution.join(this);
    this.timer = setTimeout(() => this.timeOut(), binding.timeoutSeconds * 1000);
  }

  /** The execution stopped: the attempt stops with the execution's reason. */
  executionStopped(reason: Error): void {
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }

  /** A lifecycle event before the end (TaskScheduled, TaskStarted, TaskSubmitted). */
  record(draft: HistoryDraft): void {
    if (!this.ended) this.recorder.recordTask(draft);
  }

  /** The attempt's last event; false when it had already ended (timed out). */
  end(draft: HistoryDraft): boolean {
    if (this.ended) return false;
    this.ended = true;
    this.recorder.recordTask(draft);
    for (const listener of this.endListeners) listener();
    return true;
  }

  /** Called synchronously when the attempt ends (e.g. to close its task token before anyone can answer it). */
  onEnd(listener: () => void): void {
    this.endListeners.push(listener);
  }

  redact(secret: string): void {
    this.recorder.redact(secret);
  }

  /** TimeoutSeconds elapsed: ends the attempt as timed out and aborts what it runs. */
  private timeOut(): void {
    const cause = `the task did not finish within ${this.binding.timeoutSeconds} seconds`;
    if (!this.end({ type: "TaskTimedOut", details: { ...resourceOf(this.binding), error: TIMED_OUT, cause } })) return;
    this.timedOut = true;
    this.controller.abort(stateError(TIMED_OUT, cause));
  }

  /** After a timeout, lets the library's own timer settle the state first. */
  async settleAfterTimeout(): Promise<void> {
    if (this.timedOut) await nextMacrotask();
  }

  /** Aborts the attempt at once with `error` (a heartbeat timeout: the library knows nothing of heartbeats). */
  abortWith(error: Error): void {
    this.controller.abort(error);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.execution.leave(this);
  }
}

/** The integrated service and API a binding calls, as history events name them. */
export function resourceOf(binding: TaskBinding): { resourceType: string; resource: string } {
  switch (binding.kind) {
    case "invoke":
      return { resourceType: "lambda", resource: "invoke" };
    case "callback":
      return { resourceType: "lambda", resource: "invoke.waitForTaskToken" };
    case "startSync":
      return { resourceType: "states", resource: "startExecution.sync:2" };
  }
}
