/**
 * Named task errors. The Lambda runtime reports `error.name` as the error type, which is what
 * Step Functions matches in Retry and Catch: `Transient` is retried with backoff, the rest are
 * caught and recorded. Each carries enough detail for a responder to act on.
 */
export const TASK_ERROR_NAMES = ["Transient", "NotFound", "InvalidInput", "PreconditionFailed", "Forbidden", "InvalidOutput"] as const;
export type TaskErrorName = (typeof TASK_ERROR_NAMES)[number];

export class TaskError extends Error {
  constructor(
    override readonly name: TaskErrorName,
    message: string,
    /** The AWS error code or the field that caused it, for the record. */
    readonly detail?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Throttling, 5xx, timeouts: Step Functions tries again with backoff and jitter. */
export const transient = (message: string, detail?: string, cause?: unknown) => new TaskError("Transient", message, detail, { cause });
/** The resource named in the input does not exist (or no longer does). */
export const notFound = (message: string, detail?: string, cause?: unknown) => new TaskError("NotFound", message, detail, { cause });
/** The input failed validation: the runbook or the event is wrong, retrying cannot help. */
export const invalidInput = (message: string, detail?: string) => new TaskError("InvalidInput", message, detail);
/** The world is not in a state where acting is safe: exempt resource, blast radius, quota. */
export const preconditionFailed = (message: string, detail?: string) => new TaskError("PreconditionFailed", message, detail);
/** The task's role lacks a permission: a deployment problem, not a transient one. */
export const forbidden = (message: string, detail?: string, cause?: unknown) => new TaskError("Forbidden", message, detail, { cause });

export function isTaskError(error: unknown): error is TaskError {
  return error instanceof TaskError;
}
