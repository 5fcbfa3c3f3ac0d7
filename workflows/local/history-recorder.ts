import type { Clock } from "../../functions/contract/task.js";
import { tokenDigest } from "./callback-tokens.js";
import type { HistoryDraft, HistoryEvent, HistoryEventType, HistorySink } from "./history.js";
import { replaceInStrings, type JsonValue } from "./json.js";

const TERMINAL: ReadonlySet<HistoryEventType> = new Set(["ExecutionSucceeded", "ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut"]);

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
  private writing: Promise<void> = Promise.resolve();
  private failure: { readonly error: unknown } | undefined;

  constructor(
    private readonly executionArn: string,
    private readonly sink: HistorySink,
    private readonly clock: Clock,
  ) {}

  /** Keeps a secret (a task token) out of every event recorded from now on; a digest stands in. */
  redact(secret: string): void {
    this.secrets.add(secret);
  }

  /** The execution is being aborted or timed out: what its tasks report from now on is dropped. */
  stop(): void {
    this.stopping = true;
  }

  /** An event of the execution itself (from the library's event log). */
  record(draft: HistoryDraft): void {
    if (this.ended) return;
    if (TERMINAL.has(draft.type)) this.ended = true;
    const id = this.nextId++;
    const event = { type: draft.type, details: this.clean(draft.details), id, previousEventId: id - 1, timestamp: this.clock.now().toISOString() } as HistoryEvent;
    this.writing = this.writing.then(async () => {
      if (!this.failure) await this.sink.append(this.executionArn, event);
    }).catch((error: unknown) => {
      this.failure ??= { error };
    });
  }

  /** An event reported by a task handler; dropped once the execution is stopping. */
  recordTask(draft: HistoryDraft): void {
    if (!this.stopping) this.record(draft);
  }

  async flushed(): Promise<void> {
    await this.writing;
    if (this.failure) throw this.failure.error;
  }

  /** A JSON copy (the library may reuse what it handed over); the redaction walk only when a secret is in the text. */
  private clean(details: HistoryDraft["details"]): JsonValue {
    const text = JSON.stringify(details);
    if (text === undefined) return null;
    let copy = JSON.parse(text) as JsonValue;
    for (const secret of this.secrets) if (text.includes(secret)) copy = replaceInStrings(copy, secret, tokenDigest(secret));
    return copy;
  }
}
