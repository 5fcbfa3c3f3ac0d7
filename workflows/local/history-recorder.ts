import type { Clock } from "../../functions/contract/task.js";
import { tokenDigest } from "./callback-tokens.js";
import { TERMINAL_STATUS, type HistoryDraft, type HistoryEvent, type HistorySink } from "./history.js";
import { jsonCopy, type JsonValue } from "./json.js";

/**
 * Numbers, stamps and stores the events of one execution in the order they are recorded. Nothing
 * is recorded after the terminal event, nor from tasks once the execution is stopping. Appends
 * reach the sink one at a time, in order; `flushed()` waits for the last and reports a sink failure.
 */
export class HistoryRecorder {
  private nextId = 1;
  private ended = false;
  private stopping = false;
  private readonly secrets = new Set<string>();
  /** Replaces every secret in a string by its digest; built when a secret is added, not per copy. */
  private redactText: ((text: string) => string) | undefined;
  private writing: Promise<void> = Promise.resolve();
  /** Writes chained and not yet settled. */
  private backlog = 0;
  private failure: { readonly error: unknown } | undefined;
  /**
   * The library hands a state's output on as the next state's input (the same object, in two events
   * dispatched back to back, before anything can change it): its copy is made once and shared by
   * both events, which are read-only from then on.
   */
  private lastDocument: { readonly source: object; readonly copy: JsonValue } | undefined;

  constructor(
    private readonly executionArn: string,
    private readonly sink: HistorySink,
    private readonly clock: Clock,
  ) {}

  /** Keeps a secret (a task token) out of every event recorded from now on; a digest stands in. */
  redact(secret: string): void {
    this.secrets.add(secret);
    this.redactText = this.redactor();
    this.lastDocument = undefined;
  }

  /** The execution is being aborted or timed out: what its tasks report from now on is dropped. */
  stop(): void {
    this.stopping = true;
  }

  /** An event of the execution itself (from the library's event log). */
  record(draft: HistoryDraft): void {
    if (this.ended) return;
    if (TERMINAL_STATUS.has(draft.type)) this.ended = true;
    const id = this.nextId++;
    const event = { type: draft.type, details: this.cleanDetails(draft), id, previousEventId: id - 1, timestamp: this.clock.now().toISOString() } as HistoryEvent;
    // Straight to the sink while nothing waits before it (the in-memory and batched sinks answer
    // at once, and a promise chain per event was a good part of the recorder's cost); behind the
    // writes still pending otherwise, so the order holds.
    if (this.backlog === 0 && !this.failure) {
      let written: void | Promise<void>;
      try {
        written = this.sink.append(this.executionArn, event);
      } catch (error) {
        this.failure ??= { error };
        return;
      }
      if (written !== undefined && typeof written.then === "function") {
        // Rejected perhaps before the chain reaches it: handled there, never unhandled.
        written.catch(() => undefined);
        this.queue(() => written);
      }
      return;
    }
    this.queue(async () => {
      if (!this.failure) await this.sink.append(this.executionArn, event);
    });
  }

  /** Chains a write behind the pending ones; the backlog counts it until it has settled. */
  private queue(write: () => Promise<void>): void {
    this.backlog += 1;
    this.writing = this.writing
      .then(write)
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => {
        this.backlog -= 1;
      });
  }

  /** An event reported by a task handler; dropped once the execution is stopping. */
  recordTask(draft: HistoryDraft): void {
    if (!this.stopping) this.record(draft);
  }

  async flushed(): Promise<void> {
    await this.writing;
    if (!this.failure && this.sink.drained) await this.sink.drained(this.executionArn).catch((error: unknown) => (this.failure ??= { error }));
    if (this.failure) throw this.failure.error;
  }

  private cleanDetails(draft: HistoryDraft): JsonValue {
    const details = draft.details as Record<string, unknown>;
    // The execution's output is the last state's output, recorded right after it: one copy for both.
    const field = draft.type.endsWith("StateEntered") ? "input" : draft.type.endsWith("StateExited") || draft.type === "ExecutionSucceeded" ? "output" : undefined;
    if (field === undefined || details[field] === undefined) return this.clean(details);
    return { ...(this.clean({ ...details, [field]: undefined }) as Record<string, JsonValue>), [field]: this.cleanDocument(details[field]) };
  }

  private cleanDocument(value: unknown): JsonValue {
    if (typeof value !== "object" || value === null) return this.clean(value);
    if (this.lastDocument?.source === value) return this.lastDocument.copy;
    const copy = this.clean(value);
    this.lastDocument = { source: value, copy };
    return copy;
  }

  /**
   * A JSON copy (the library may reuse what it handed over), with every secret in a string
   * replaced by its digest as it is copied.
   */
  private clean(details: unknown): JsonValue {
    return jsonCopy(details, this.redactText);
  }

  private redactor(): (text: string) => string {
    const secrets = [...this.secrets];
    return (text) => {
      let clean = text;
      for (const secret of secrets) if (clean.includes(secret)) clean = clean.split(secret).join(tokenDigest(secret));
      return clean;
    };
  }
}
