import type { JsonValue } from "./json.js";
import type { Outcome } from "./outcome.js";

/**
 * Execution history in the shape of Step Functions' GetExecutionHistory: numbered events with the
 * id of the event before them, a timestamp and type-specific details, so one archiver serves the
 * local runner and AWS alike.
 */
export type StateKind = "Task" | "Choice" | "Pass" | "Wait" | "Succeed" | "Fail" | "Map" | "Parallel";

interface StateEnteredDetails {
  readonly name: string;
  readonly input: JsonValue;
}
interface StateExitedDetails {
  readonly name: string;
  readonly output: JsonValue;
}
interface FailureDetails {
  readonly error: string;
  readonly cause: string;
}
interface TaskDetails {
  /** `lambda` or `states`, as AWS names the integrated service. */
  readonly resourceType: string;
  /** `invoke`, `invoke.waitForTaskToken`, `startExecution.sync:2`. */
  readonly resource: string;
}

export type HistoryDetailsByType = {
  readonly ExecutionStarted: { readonly input: JsonValue; readonly stateMachineArn: string; readonly parentExecutionArn?: string };
  readonly ExecutionSucceeded: { readonly output: JsonValue };
  readonly ExecutionFailed: FailureDetails;
  readonly ExecutionAborted: { readonly cause?: string };
  readonly ExecutionTimedOut: Record<string, never>;
  readonly TaskScheduled: TaskDetails & { readonly parameters: JsonValue; readonly timeoutInSeconds: number; readonly heartbeatInSeconds?: number };
  readonly TaskStarted: TaskDetails;
  /** A callback or `.sync` task has handed over; for callbacks `taskToken` is a digest, never the token. */
  readonly TaskSubmitted: TaskDetails & { readonly output: JsonValue; readonly taskToken?: string };
  readonly TaskSucceeded: TaskDetails & { readonly output: JsonValue };
  readonly TaskFailed: TaskDetails & FailureDetails;
  readonly TaskTimedOut: TaskDetails & FailureDetails;
  readonly MapStateStarted: { readonly name: string; readonly length?: number };
  readonly MapStateSucceeded: { readonly name: string };
  readonly MapStateFailed: { readonly name: string } & FailureDetails;
  readonly MapIterationStarted: { readonly name: string; readonly index: number };
  readonly MapIterationSucceeded: { readonly name: string; readonly index: number };
  readonly MapIterationFailed: { readonly name: string; readonly index: number } & FailureDetails;
  readonly ParallelStateStarted: { readonly name: string };
  readonly ParallelStateSucceeded: { readonly name: string };
  readonly ParallelStateFailed: { readonly name: string } & FailureDetails;
} & { readonly [K in `${StateKind}StateEntered`]: StateEnteredDetails } & { readonly [K in `${Exclude<StateKind, "Fail">}StateExited`]: StateExitedDetails };

export type HistoryEventType = keyof HistoryDetailsByType;

/** An execution's terminal events, each with the status the execution ends in (nothing is recorded after one). */
export const TERMINAL_STATUS: ReadonlyMap<HistoryEventType, Outcome["status"]> = new Map([
  ["ExecutionSucceeded", "SUCCEEDED"],
  ["ExecutionFailed", "FAILED"],
  ["ExecutionAborted", "ABORTED"],
  ["ExecutionTimedOut", "TIMED_OUT"],
]);

/** An event before the recorder numbers and stamps it. */
export type HistoryDraft = { [T in HistoryEventType]: { readonly type: T; readonly details: HistoryDetailsByType[T] } }[HistoryEventType];

export type HistoryEvent = HistoryDraft & {
  /** 1, 2, 3, … within one execution. */
  readonly id: number;
  /** The event before this one (0 for ExecutionStarted). */
  readonly previousEventId: number;
  /** ISO 8601, from the engine's clock. */
  readonly timestamp: string;
};

/** Where the events of every execution go, in order, once each. */
export interface HistorySink {
  append(executionArn: string, event: HistoryEvent): void | Promise<void>;
  /** Optional: events of one execution, in order, stored together (one write instead of one per event). */
  appendAll?(executionArn: string, events: readonly HistoryEvent[]): void;
  /** Optional: the execution (and the executions it starts) belong to this incident, for listing by incident. */
  linkIncident?(executionArn: string, incidentId: string): void | Promise<void>;
  /** Optional, for a sink whose appends only queue: settles when the execution's events so far are stored, or rejects with why not. */
  drained?(executionArn: string): Promise<void>;
  /** Optional: the execution's writes failed and nothing more of it will be appended; drop what is kept for it. */
  forget?(executionArn: string): void;
}

/** A sink that keeps everything in memory: for tests and short-lived runs. */
export class InMemoryHistory implements HistorySink {
  private readonly byExecution = new Map<string, HistoryEvent[]>();

  append(executionArn: string, event: HistoryEvent): void {
    const events = this.byExecution.get(executionArn) ?? [];
    events.push(event);
    this.byExecution.set(executionArn, events);
  }

  events(executionArn: string): readonly HistoryEvent[] {
    return this.byExecution.get(executionArn) ?? [];
  }

  executions(): readonly string[] {
    return [...this.byExecution.keys()];
  }
}
