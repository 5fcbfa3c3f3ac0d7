import { randomBytes } from "node:crypto";
import { LocalEngineError } from "./errors.js";
import type { JsonValue } from "./json.js";

/** A callback task waiting for SendTaskSuccess, SendTaskFailure or its timeout. */
export interface PendingTask {
  readonly token: string;
  readonly executionArn: string;
  readonly stateName: string;
  readonly taskName: string;
  /** The payload the task was invoked with (token included), e.g. an approval request. */
  readonly payload: JsonValue;
}

export type Settlement = { readonly ok: true; readonly output: JsonValue } | { readonly ok: false; readonly error: string; readonly cause: string };

interface Waiting {
  readonly task: PendingTask;
  readonly settle: (settlement: Settlement) => void;
  readonly heartbeat: () => void;
}

/** A fresh, unguessable task token. */
export function mintToken(): string {
  return randomBytes(48).toString("base64url");
}

export { tokenDigest } from "../../functions/audit/task-token-digest.js";

/**
 * Every task token the engine minted. A token is answered once: after success, failure or
 * timeout it is closed, and answering it again fails like AWS (TaskTimedOut); a token never
 * minted fails with TaskDoesNotExist.
 */
export class CallbackTokens {
  private readonly waiting = new Map<string, Waiting>();
  private readonly closed = new Set<string>();

  open(task: PendingTask, settle: (settlement: Settlement) => void, heartbeat: () => void): void {
    this.waiting.set(task.token, { task, settle, heartbeat });
  }

  /** No answer is accepted any more (the task timed out, failed, or its execution stopped). */
  close(token: string): void {
    if (this.waiting.delete(token)) this.closed.add(token);
  }

  succeed(token: string, output: JsonValue): void {
    this.take(token).settle({ ok: true, output });
  }

  fail(token: string, error: string, cause: string): void {
    this.take(token).settle({ ok: false, error, cause });
  }

  heartbeat(token: string): void {
    this.find(token).heartbeat();
  }

  pending(): PendingTask[] {
    return [...this.waiting.values()].map((entry) => entry.task);
  }

  private take(token: string): Waiting {
    const entry = this.find(token);
    this.close(token);
    return entry;
  }

  private find(token: string): Waiting {
    const entry = this.waiting.get(token);
    if (entry) return entry;
    if (this.closed.has(token)) throw new LocalEngineError("TaskTimedOut", "Task Timed Out: the task of this token has already been answered, timed out or stopped");
    throw new LocalEngineError("TaskDoesNotExist", "Task Does Not Exist: no task was given this token");
  }
}
