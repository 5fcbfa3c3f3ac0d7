import type { HistoryDraft, StateKind } from "./history.js";
import { isJsonObject, type JsonValue } from "./json.js";
import type { LibraryEvent } from "./step-functions-library.js";

export interface TranslationContext {
  readonly stateMachineArn: string;
  readonly parentExecutionArn?: string;
  /** The ItemsPath of a Map state, to tell how many iterations it starts. */
  itemsPath(mapState: string): string | undefined;
  /** Why the execution was aborted, when it was. */
  abortCause(): string | undefined;
}

/**
 * Turns the library's event log into Step Functions history events: per-type state events
 * (TaskStateEntered, ChoiceStateExited, …), Map and Parallel lifecycle events, and the execution's
 * own. Task lifecycle events (TaskScheduled … TaskSucceeded) come from the local handlers instead,
 * and the library's retry and catch bookkeeping has no AWS counterpart.
 */
export class EventTranslator {
  /** Map and Parallel states (per iteration) that failed, so their exit is not a success. */
  private readonly failed = new Set<string>();

  constructor(private readonly context: TranslationContext) {}

  translate(event: LibraryEvent): HistoryDraft[] {
    switch (event.type) {
      case "ExecutionStarted":
        return [{ type: "ExecutionStarted", details: { input: event.input, stateMachineArn: this.context.stateMachineArn, ...(this.context.parentExecutionArn ? { parentExecutionArn: this.context.parentExecutionArn } : {}) } }];
      case "ExecutionSucceeded":
        return [{ type: "ExecutionSucceeded", details: { output: event.output } }];
      case "ExecutionFailed":
        return [{ type: "ExecutionFailed", details: { error: event.Error, cause: causeText(event.Cause) } }];
      case "ExecutionAborted": {
        const cause = this.context.abortCause();
        return [{ type: "ExecutionAborted", details: cause !== undefined ? { cause } : {} }];
      }
      case "ExecutionTimeout":
        return [{ type: "ExecutionTimedOut", details: {} }];
      case "MapIterationStarted":
        return [{ type: "MapIterationStarted", details: { name: event.parentState.name, index: event.index } }];
      case "MapIterationSucceeded":
        return [{ type: "MapIterationSucceeded", details: { name: event.parentState.name, index: event.index } }];
      case "MapIterationFailed":
        return [{ type: "MapIterationFailed", details: { name: event.parentState.name, index: event.index, error: event.Error, cause: causeText(event.Cause) } }];
      case "ParallelBranchStarted":
      case "ParallelBranchSucceeded":
      case "ParallelBranchFailed":
        return [];
      case "StateEntered":
        return this.entered(event.state.name, event.state.type, event.state.input, event.index);
      case "StateExited":
        return this.exited(event.state.name, event.state.type, event.state.output ?? null, event.index);
      case "StateFailed":
        return this.stateFailed(event.state.name, event.state.type, event.Error, causeText(event.Cause), event.index);
      case "StateRetried":
        this.failed.delete(key(event.state.name, event.index));
        return [];
      case "StateCaught":
        return [];
    }
  }

  private entered(name: string, type: StateKind, input: JsonValue, index: number | undefined): HistoryDraft[] {
    const drafts: HistoryDraft[] = [{ type: `${type}StateEntered`, details: { name, input } }];
    if (type === "Map") {
      const length = itemCount(this.context.itemsPath(name), input);
      drafts.push({ type: "MapStateStarted", details: { name, ...(length !== undefined ? { length } : {}) } });
    }
    if (type === "Parallel") drafts.push({ type: "ParallelStateStarted", details: { name } });
    this.failed.delete(key(name, index));
    return drafts;
  }

  private exited(name: string, type: StateKind, output: JsonValue, index: number | undefined): HistoryDraft[] {
    if (type === "Fail") return [];
    const succeeded = !this.failed.delete(key(name, index));
    const drafts: HistoryDraft[] = [];
    if (type === "Map" && succeeded) drafts.push({ type: "MapStateSucceeded", details: { name } });
    if (type === "Parallel" && succeeded) drafts.push({ type: "ParallelStateSucceeded", details: { name } });
    drafts.push({ type: `${type}StateExited`, details: { name, output } });
    return drafts;
  }

  private stateFailed(name: string, type: StateKind, error: string, cause: string, index: number | undefined): HistoryDraft[] {
    if (type !== "Map" && type !== "Parallel") return [];
    this.failed.add(key(name, index));
    return [{ type: type === "Map" ? "MapStateFailed" : "ParallelStateFailed", details: { name, error, cause } }];
  }
}

const key = (name: string, index: number | undefined) => `${index ?? ""}:${name}`;

/** The library passes causes through untyped (an error's `cause` or its message). */
export function causeText(cause: unknown): string {
  if (typeof cause === "string") return cause;
  if (cause instanceof Error) return cause.message;
  return JSON.stringify(cause) ?? "";
}

/** How many items a Map iterates, for the simple paths the compiler emits (`$`, `$.a.b`, `$.a[0]`). */
export function itemCount(path: string | undefined, input: JsonValue): number | undefined {
  const simple = path ?? "$";
  if (!/^\$(?:\.[A-Za-z_][\w-]*|\[\d+\])*$/.test(simple)) return undefined;
  let value: JsonValue | undefined = input;
  for (const segment of simple.slice(1).match(/[A-Za-z_][\w-]*|\d+/g) ?? []) {
    if (Array.isArray(value) && /^\d+$/.test(segment)) value = value[Number(segment)];
    else if (isJsonObject(value)) value = value[segment];
    else return undefined;
  }
  return Array.isArray(value) ? value.length : undefined;
}
