import type { HistoryEvent } from "../history.js";
import type { JsonValue } from "../json.js";
import { documentFieldOf, recordedDocumentOf, type DocumentField } from "../recorded-document.js";
import { toColumn } from "./embedded-database.js";

export type { DocumentField } from "../recorded-document.js";

/** Shorter documents are stored in place: a reference would save next to nothing. */
const SHARED_FROM_BYTES = 64;

/** Distinct documents remembered per execution; past this, the oldest are forgotten (stored again if they recur). */
const REMEMBERED_PER_EXECUTION = 64;

/** A document the encoder remembers: its JSON, and the event that stored it. */
interface StoredDocument {
  readonly text: string;
  readonly id: number;
}

/**
 * An event as a chunk holds it: its details with the document's value null (the field keeps its
 * place, so the event reads back with its keys in order), and the document apart: its JSON, or
 * the id of an earlier event of the execution that holds the same.
 */
interface StoredEvent {
  readonly id: number;
  readonly previousEventId: number;
  readonly timestamp: string;
  readonly type: HistoryEvent["type"];
  readonly details: Record<string, unknown>;
  readonly document?: { readonly field: DocumentField; readonly json?: JsonValue; readonly from?: number };
}

/**
 * Encodes one execution's events into chunks: the JSON of the events one write stores together.
 * A document the execution stored before names that event instead (an incident's documents were
 * ~185 KiB of its ~190 KiB of history: each state's input is the last one's output, a task's
 * parameters often its state's input). An event the recorder made carries its document's JSON,
 * which goes in as it is; any other event's document is serialised here (the last one's JSON kept
 * by identity: a state's exit and the next state's entry may share it).
 * What it remembers names events of chunks not yet committed: the store forgets the execution
 * when a write of it fails.
 */
export class ChunkEncoder {
  /**
   * The documents remembered, by length (a map keyed by the JSON itself hashed every document
   * whole; most documents are new and of a length not seen, or the very string stored before),
   * and in the order they were stored, oldest first.
   */
  private readonly byLength = new Map<number, StoredDocument[]>();
  private readonly order: StoredDocument[] = [];
  private last: { readonly value: unknown; readonly text: string } | undefined;
  private lastStamp: { readonly timestamp: string; readonly text: string } | undefined;

  /** The chunk's JSON: an array of the events, in order. */
  encode(events: readonly HistoryEvent[]): string {
    return `[${events.map((event) => this.encodeEvent(event)).join(",")}]`;
  }

  private encodeEvent(event: HistoryEvent): string {
    // Written out by hand so the document goes in as JSON, not escaped into a string; keys in the
    // recorder's order, so the event reads back as it was appended.
    const type = typeText(event.type);
    const tail = `"id":${event.id},"previousEventId":${event.previousEventId},"timestamp":${this.timestampText(event.timestamp)}}`;
    const recorded = recordedDocumentOf(event.details);
    if (recorded !== undefined) return this.withDocument(type, tail, event.id, recorded.field, recorded.json, recorded.restJson);
    const details = event.details as Readonly<Record<string, unknown>>;
    const field = documentFieldOf(details);
    if (field === undefined) return `${type},"details":${toColumn(details)},${tail}`;
    const value = details[field];
    const text = this.last !== undefined && this.last.value === value && typeof value === "object" ? this.last.text : toColumn(value);
    this.last = { value, text };
    return this.withDocument(type, tail, event.id, field, text, toColumn({ ...details, [field]: null }));
  }

  /** The timestamp's JSON, made once per instant (events come many to a millisecond). */
  private timestampText(timestamp: string): string {
    if (this.lastStamp?.timestamp !== timestamp) this.lastStamp = { timestamp, text: JSON.stringify(timestamp) };
    return this.lastStamp.text;
  }

  /** The event with its document apart: in place the first time the execution stores it, else the id of the event that holds it. */
  private withDocument(type: string, tail: string, id: number, field: DocumentField, text: string, restJson: string): string {
    const from = this.storedAt(text);
    if (from === undefined) this.remember(text, id);
    const document = from === undefined ? `{"field":"${field}","json":${text}}` : `{"field":"${field}","from":${from}}`;
    return `${type},"details":${restJson},"document":${document},${tail}`;
  }

  /** The event that stored the same document, if remembered. */
  private storedAt(text: string): number | undefined {
    const candidates = this.byLength.get(text.length);
    if (candidates === undefined) return undefined;
    for (const candidate of candidates) if (candidate.text === text) return candidate.id;
    return undefined;
  }

  private remember(text: string, id: number): void {
    if (text.length < SHARED_FROM_BYTES) return;
    if (this.order.length >= REMEMBERED_PER_EXECUTION) this.forgetOldest();
    const document = { text, id };
    this.order.push(document);
    const sameLength = this.byLength.get(text.length);
    if (sameLength === undefined) this.byLength.set(text.length, [document]);
    else sameLength.push(document);
  }

  private forgetOldest(): void {
    const oldest = this.order.shift();
    if (oldest === undefined) return;
    const sameLength = this.byLength.get(oldest.text.length);
    if (sameLength === undefined) return;
    const left = sameLength.filter((document) => document !== oldest);
    if (left.length === 0) this.byLength.delete(oldest.text.length);
    else this.byLength.set(oldest.text.length, left);
  }
}

/** Each event type's opening (`{"type":"…"`), made once per type: there are a few dozen. */
const TYPE_TEXTS = new Map<string, string>();

function typeText(type: string): string {
  let text = TYPE_TEXTS.get(type);
  if (text === undefined) {
    text = `{"type":${JSON.stringify(type)}`;
    TYPE_TEXTS.set(type, text);
  }
  return text;
}

/**
 * An execution's events from its chunks, in order, each document back in its place (a repeat gets
 * its own copy); throws, naming the execution and events, when an event names a document no
 * earlier event holds.
 */
export function decodeChunks(executionArn: string, chunks: readonly string[]): HistoryEvent[] {
  const documents = new Map<number, JsonValue>();
  const events: HistoryEvent[] = [];
  for (const chunk of chunks) {
    // The store wrote it; nothing else does.
    for (const { document, ...event } of JSON.parse(chunk) as StoredEvent[]) {
      if (document !== undefined) event.details[document.field] = documentOf(executionArn, event.id, document, documents);
      events.push(event as HistoryEvent);
    }
  }
  return events;
}

function documentOf(executionArn: string, id: number, document: NonNullable<StoredEvent["document"]>, documents: Map<number, JsonValue>): JsonValue {
  if (document.json !== undefined) {
    documents.set(id, document.json);
    return document.json;
  }
  const held = document.from === undefined ? undefined : documents.get(document.from);
  if (held === undefined) throw new Error(`sqlite history: event ${id} of ${executionArn} repeats the ${document.field} of event ${document.from ?? "(none)"}, which holds no document`);
  return structuredClone(held);
}
