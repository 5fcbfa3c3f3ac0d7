import type { Clock } from "../../functions/contract/task.js";
import { tokenDigest } from "./callback-tokens.js";
import { TERMINAL_STATUS, type HistoryDraft, type HistoryEvent, type HistorySink } from "./history.js";
import { jsonCopy, takeSerialised, type JsonValue } from "./json.js";
import { attachDocument, detailsWithDocument, documentFieldOf, placeDocument, type DocumentField } from "./recorded-document.js";

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
  /**
   * A secret JSON writes escaped: a document's JSON may hold it in a string without its text
   * appearing, so every document is copied by the walk. (Tokens are base64url: never.)
   */
  private escapedSecret = false;
  private writing: Promise<void> = Promise.resolve();
  /** Writes chained and not yet settled. */
  private backlog = 0;
  private failure: { readonly error: unknown } | undefined;
  /**
   * The library hands a state's output on as the next state's input (the same object, in two events
   * dispatched back to back, before anything can change it): its copy is made once and shared by
   * both events, which are read-only from then on.
   */
  private lastDocument: { readonly source: object; readonly json: string } | undefined;
  private lastStamp: { readonly time: number; readonly text: string } | undefined;

  constructor(
    private readonly executionArn: string,
    private readonly sink: HistorySink,
    private readonly clock: Clock,
  ) {}

  /** Keeps a secret (a task token) out of every event recorded from now on; a digest stands in. */
  redact(secret: string): void {
    this.secrets.add(secret);
    if (JSON.stringify(secret) !== `"${secret}"`) this.escapedSecret = true;
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
    const event = { type: draft.type, details: this.cleanDetails(draft), id, previousEventId: id - 1, timestamp: this.timestamp() } as HistoryEvent;
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

  /** The clock's reading in ISO 8601; formatted once per instant (events come many to a millisecond). */
  private timestamp(): string {
    const now = this.clock.now();
    const time = now.getTime();
    if (this.lastStamp?.time !== time) this.lastStamp = { time, text: now.toISOString() };
    return this.lastStamp.text;
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

  /**
   * The details as stored and read: a JSON copy, redacted. The document (a state's input or
   * output, a task's parameters or result) is serialised once, here: the store writes that JSON,
   * and readers get it parsed when they first read it.
   */
  private cleanDetails(draft: HistoryDraft): JsonValue {
    const details = draft.details as Record<string, unknown>;
    const last = documentLast(draft.type);
    const flat = splitFlat(details, last, this.redactText);
    if (flat === undefined) return this.walkedDetails(draft.type, details);
    if (flat.field === undefined) return flat.rest;
    const json = this.documentJson(flat.document, last);
    // Nothing JSON would write (a function): copied as before.
    if (json === undefined) return this.copiedDetails(draft.type, details, flat.field);
    // The rest's JSON made once, here: the store writes it as it is.
    return attachDocument(flat.rest, { field: flat.field, json, restJson: JSON.stringify(flat.rest) });
  }

  /** The walk's copy, for details that hold more than primitives beside their document. */
  private walkedDetails(type: HistoryDraft["type"], details: Record<string, unknown>): JsonValue {
    const field = documentFieldOf(details);
    if (field === undefined) return this.clean(details);
    const json = this.documentJson(details[field], documentLast(type));
    if (json === undefined) return this.copiedDetails(type, details, field);
    const rest = this.restOf(type, details, field, null);
    return detailsWithDocument({ field, json, restJson: JSON.stringify(rest) }, rest);
  }

  /**
   * The details without their document: `document` in its place. A state's entry and exit and the
   * execution's success have it last (they always did); other events keep it where the draft has it.
   */
  private restOf(type: HistoryDraft["type"], details: Record<string, unknown>, field: DocumentField, document: JsonValue): Record<string, JsonValue> {
    if (!documentLast(type)) return this.clean({ ...details, [field]: document }) as Record<string, JsonValue>;
    return { ...(this.clean({ ...details, [field]: undefined }) as Record<string, JsonValue>), [field]: document };
  }

  /** The walk's copy, for a document JSON leaves out (the state events' document then reads null, as JSON's copy of it). */
  private copiedDetails(type: HistoryDraft["type"], details: Record<string, unknown>, field: DocumentField): JsonValue {
    if (!documentLast(type)) return this.clean(details);
    return this.restOf(type, details, field, this.clean(details[field]));
  }

  /**
   * The document's JSON, redacted; undefined where JSON writes nothing. A secret is replaced in
   * string values only (never in keys): when the JSON holds no secret's text there is nothing to
   * replace, else the walk copies it, replacing as it goes. A state's output is the next state's
   * input (the same object, in two state events recorded back to back): serialised once for both.
   */
  private documentJson(value: unknown, stateEvent: boolean): string | undefined {
    const shared = stateEvent && typeof value === "object" && value !== null;
    if (shared && this.lastDocument?.source === value) return this.lastDocument.json;
    // A task's result was serialised a moment ago, to be measured against the data cap.
    let json = takeSerialised(value) ?? JSON.stringify(value);
    if (json !== undefined && this.redactText !== undefined && (this.escapedSecret || this.holdsSecret(json))) json = JSON.stringify(this.clean(value));
    if (shared && json !== undefined) this.lastDocument = { source: value, json };
    return json;
  }

  private holdsSecret(json: string): boolean {
    for (const secret of this.secrets) if (json.includes(secret)) return true;
    return false;
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

/** A draft's details split in one pass over its keys: the document and its field, and the rest copied, redacted. */
interface FlatDetails {
  readonly field: DocumentField | undefined;
  readonly document: unknown;
  /** The other fields, with the document's field null in its place: last, or where the draft has it. */
  readonly rest: Record<string, JsonValue>;
}

/**
 * The details split as the walk would copy them, where every value beside the document is a
 * primitive (so is every draft irflow makes): nothing the library could reuse, and no walk needed.
 * Undefined for anything else (an object, a second document, a `__proto__` key): the walk copies those.
 */
function splitFlat(details: Record<string, unknown>, documentLast: boolean, replace: ((text: string) => string) | undefined): FlatDetails | undefined {
  const rest: Record<string, JsonValue> = {};
  let field: DocumentField | undefined;
  let document: unknown;
  for (const key of Object.keys(details)) {
    const value = details[key];
    if (key === "__proto__") return undefined;
    if (value === undefined) continue;
    if (key === "input" || key === "output" || key === "parameters") {
      if (field !== undefined) return undefined;
      field = key;
      document = value;
      if (!documentLast) placeDocument(rest, key);
      continue;
    }
    switch (typeof value) {
      case "string":
        rest[key] = replace ? replace(value) : value;
        break;
      case "number":
        rest[key] = Number.isFinite(value) ? value : null;
        break;
      case "boolean":
        rest[key] = value;
        break;
      default:
        if (value !== null) return undefined;
        rest[key] = null;
    }
  }
  if (field !== undefined && documentLast) placeDocument(rest, field);
  return { field, document, rest };
}

/** The events whose document always came last in their details. */
function documentLast(type: HistoryDraft["type"]): boolean {
  return type.endsWith("StateEntered") || type.endsWith("StateExited") || type === "ExecutionSucceeded";
}
