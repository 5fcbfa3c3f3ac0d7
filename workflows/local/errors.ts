import { serialiseForNow } from "./json.js";

/** Errors of the local engine's own API, named like the Step Functions API errors they stand for. */
export type LocalEngineErrorName =
  | "UnsupportedDefinition"
  | "InvalidDefinition"
  | "StateMachineDoesNotExist"
  | "ExecutionAlreadyExists"
  | "InvalidName"
  | "InvalidExecutionInput"
  | "InvalidOutput"
  | "TaskDoesNotExist"
  | "TaskTimedOut";

export class LocalEngineError extends Error {
  constructor(
    override readonly name: LocalEngineErrorName,
    message: string,
  ) {
    super(message);
  }
}

/**
 * An error raised inside an execution. The library matches `name` in Retry and Catch and makes
 * `message` the Cause. Built fresh (no `cause` chain), so nothing but name and message leaks.
 */
export function stateError(name: string, cause: string): Error {
  const error = new Error(cause);
  error.name = name;
  return error;
}

/** Name and message of anything thrown, as the Lambda runtime reports them. */
function describeThrown(thrown: unknown): { name: string; message: string } {
  if (thrown instanceof Error) return { name: thrown.name || "Error", message: thrown.message };
  return { name: "Error", message: typeof thrown === "string" ? thrown : JSON.stringify(thrown) ?? String(thrown) };
}

/**
 * A Lambda function's error as Step Functions reports it: the error type is the Error, and the
 * Cause is the JSON error payload the Lambda runtime returns.
 */
export function lambdaError(thrown: unknown): Error {
  const { name, message } = describeThrown(thrown);
  return stateError(name, JSON.stringify({ errorType: name, errorMessage: message, trace: [] }));
}

/** Step Functions' cap on a state's input or output, and on a task's result. */
export const DATA_LIMIT_BYTES = 256 * 1024;

/**
 * States.DataLimitExceeded for a result over 256 KiB. As in AWS it is terminal: neither Retry nor
 * Catch (not even States.ALL) handles it; the library honours `isRetryable` / `isCatchable`.
 * The JSON it measures is kept for the history recorder, which records the result right after.
 */
export function checkDataLimit(value: unknown, what: string): void {
  const json = serialiseForNow(value) ?? "";
  // Under the cap even at 3 bytes per UTF-16 unit (the most UTF-8 takes): no need to count.
  if (json.length * 3 <= DATA_LIMIT_BYTES) return;
  const bytes = Buffer.byteLength(json, "utf8");
  if (bytes <= DATA_LIMIT_BYTES) return;
  const error = stateError("States.DataLimitExceeded", `${what} is ${bytes} bytes; Step Functions allows ${DATA_LIMIT_BYTES}`);
  throw Object.assign(error, { isRetryable: false, isCatchable: false });
}
