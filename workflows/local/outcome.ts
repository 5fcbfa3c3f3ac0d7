import { ExecutionAbortedError, ExecutionError, ExecutionTimeoutError } from "./step-functions-library.js";
import type { JsonValue } from "./json.js";

/** How an execution ended. Execution failures are outcomes, never exceptions. */
export type Outcome =
  | { readonly status: "SUCCEEDED"; readonly output: JsonValue }
  | { readonly status: "FAILED"; readonly error: string; readonly cause: string }
  | { readonly status: "ABORTED" }
  | { readonly status: "TIMED_OUT" };

export type ExecutionStatus = "RUNNING" | Outcome["status"];

/** What the library's `result` rejected with, as an outcome. */
export function failureOutcome(thrown: unknown): Outcome {
  if (thrown instanceof ExecutionAbortedError) return { status: "ABORTED" };
  if (thrown instanceof ExecutionTimeoutError) return { status: "TIMED_OUT" };
  // ExecutionError wraps the state's error: its name is the Error, its message the Cause.
  const error = thrown instanceof ExecutionError && thrown.cause instanceof Error ? thrown.cause : thrown;
  if (error instanceof Error) return { status: "FAILED", error: error.name, cause: error.message };
  return { status: "FAILED", error: "States.Runtime", cause: String(error) };
}
