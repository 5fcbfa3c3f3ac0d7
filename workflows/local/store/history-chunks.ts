import type { HistoryEvent } from "../history.js";
import { toColumn } from "./embedded-database.js";

/** The details field that carries an event's document: what the state or task read or wrote. */
export type DocumentField = "input" | "output" | "parameters";

const DOCUMENT_FIELDS: readonly DocumentField[] = ["input", "output", "parameters"];

/** Shorter documents are stored in place: a reference would save next to nothing. */
const SHARED_FROM_BYTES = 64;

/** Distinct documents remembered per execution; past this, the oldest are forgotten (stored again if they recur). */
const REMEMBERED_PER_EXECUTION = 64;

/** An event as its columns: details with the document's value left null, and the document apart. */
export interface EventColumns {
  readonly details: string;
  readonly field: DocumentField | null;
  /** The document's JSON, or null when `from` holds it. */
  readonly document: string | null;
  /** An earlier event of the execution whose `document` is this one's. */
  readonly from: number | null;
}

/** Which of the document fields the event carries (each event type has at most one). */
function documentFieldOf(details: Readonly<Record<string, unknown>>): DocumentField | undefined {
  return DOCUMENT_FIELDS.find((field) => details[field] !== undefined);
}

/**
 * The documents one execution has stored, by their JSON: an event whose document was stored before
 * names that event instead. The recorder hands the same copy to a state's exit and the next
 * state's entry, so the last document's JSON is kept by identity and not serialised twice.
 */
export class ExecutionDocuments {
  private readonly stored = new Map<string, number>();
  private last: { readonly value: unknown; readonly text: string } | undefined;

  /** The columns of `event`; `remember` once its row is written. */
  columns(event: HistoryEvent): EventColumns & { readonly remember: () => void } {
    const details = event.details as Readonly<Record<string, unknown>>;
    const field = documentFieldOf(details);
    if (field === undefined) return { details: toColumn(details), field: null, document: null, from: null, remember: () => undefined };
    const value = details[field];
    const text = this.last !== undefined && this.last.value === value && typeof value === "object" ? this.last.text : toColumn(value);
    this.last = { value, text };
    const from = this.stored.get(text);
    return {
      // null keeps the field where it was, so the event reads back with its keys in order.
      details: toColumn({ ...details, [field]: null }),
      field,
      document: from === undefined ? text : null,
      from: from ?? null,
      remember: () => {
        if (from !== undefined || text.length < SHARED_FROM_BYTES) return;
        if (this.stored.size >= REMEMBERED_PER_EXECUTION) this.stored.delete(this.stored.keys().next().value as string);
        this.stored.set(text, event.id);
      },
    };
  }
}

/** A stored row's details with its document back in place. */
export interface DocumentRow {
  readonly id: number;
  readonly details: string;
  readonly document_field: DocumentField | null;
  readonly document: string | null;
  readonly document_from: number | null;
}

/**
 * Reads an execution's rows in id order, each with its document back where it was; throws, naming
 * the execution and events, when a row names a document no earlier row holds.
 */
export function detailsInOrder(executionArn: string, rows: readonly DocumentRow[]): Record<string, unknown>[] {
  const documents = new Map<number, string>();
  return rows.map((row) => {
    const details = JSON.parse(row.details) as Record<string, unknown>;
    if (row.document_field === null) return details;
    if (row.document !== null) documents.set(row.id, row.document);
    const text = row.document ?? (row.document_from === null ? undefined : documents.get(row.document_from));
    if (text === undefined) throw new Error(`sqlite history: event ${row.id} of ${executionArn} repeats the ${row.document_field} of event ${row.document_from ?? "(none)"}, which holds no document`);
    details[row.document_field] = JSON.parse(text) as unknown;
    return details;
  });
}
