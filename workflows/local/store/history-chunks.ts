import type { HistoryEvent } from "../history.js";
import type { JsonValue } from "../json.js";
import { toColumn } from "./embedded-database.js";

/** The details field that carries an event's document: what the state or task read or wrote. */
export type DocumentField = "input" | "output" | "parameters";

const DOCUMENT_FIELDS: readonly DocumentField[] = ["input", "output", "parameters"];

/** Shorter documents are stored in place: a reference would save next to nothing. */
const SHARED_FROM_BYTES = 64;

/** Distinct documents remembered per execution; past this, the oldest are forgotten (stored again if they recur). */
const REMEMBERED_PER_EXECUTION = 64;

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

/** Which of the document fields the event carries (each event type has at most one). */
function documentFieldOf(details: Readonly<Record<string, unknown>>): DocumentField | undefined {
  return DOCUMENT_FIELDS.find((field) => details[field] !== undefined);
}

/**
 * Encodes one execution's events into chunks: the JSON of the events one write stores together.
 * A document the execution stored before names that event instead (an incident's documents were
 * ~185 KiB of its ~190 KiB of history: each state's input is the last one's output, a task's
 * parameters often its state's input). The recorder hands the same copy to a state's exit and the
 * next state's entry, so the last document's JSON is kept by identity and not serialised twice.
 * What it remembers names events of chunks not yet committed: the store forgets the execution
 * when a write of it fails.
 */
export class ChunkEncoder {
  private readonly stored = new Map<string, number>();
  private last: { readonly value: unknown; readonly text: string } | undefined;

  /** The chunk's JSON: an array of the events, in order. */
  encode(events: readonly HistoryEvent[]): string {
    return `[${events.map((event) => this.encodeEvent(event)).join(",")}]`;
  }

  private encodeEvent(event: HistoryEvent): string {
    // Written out by hand so the document goes in as JSON, not escaped into a string; keys in the
    // recorder's order, so the event reads back as it was appended.
    const type = `{"type":${JSON.stringify(event.type)}`;
    const tail = `"id":${event.id},"previousEventId":${event.previousEventId},"timestamp":${JSON.stringify(event.timestamp)}}`;
    const details = event.details as Readonly<Record<string, unknown>>;
    const field = documentFieldOf(details);
    if (field === undefined) return `${type},"details":${toColumn(details)},${tail}`;
    const value = details[field];
    const text = this.last !== undefined && this.last.value === value && typeof value === "object" ? this.last.text : toColumn(value);
    this.last = { value, text };
    const from = this.stored.get(text);
    if (from === undefined) this.remember(text, event.id);
    const document = from === undefined ? `{"field":"${field}","json":${text}}` : `{"field":"${field}","from":${from}}`;
    return `${type},"details":${toColumn({ ...details, [field]: null })},"document":${document},${tail}`;
  }

  private remember(text: string, id: number): void {
    if (text.length < SHARED_FROM_BYTES) return;
    if (this.stored.size >= REMEMBERED_PER_EXECUTION) this.stored.delete(this.stored.keys().next().value as string);
    this.stored.set(text, id);
  }
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
