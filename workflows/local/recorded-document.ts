import type { JsonValue } from "./json.js";

/** The details field that carries an event's document: what the state or task read or wrote. */
export type DocumentField = "input" | "output" | "parameters";

const DOCUMENT_FIELDS: readonly DocumentField[] = ["input", "output", "parameters"];

/** Which of the document fields the event carries (each event type has at most one). */
export function documentFieldOf(details: Readonly<Record<string, unknown>>): DocumentField | undefined {
  for (const field of DOCUMENT_FIELDS) if (details[field] !== undefined) return field;
  return undefined;
}

/**
 * An event's document as the recorder serialised it (redacted), so a store writes that JSON and
 * does not serialise the document again; `restJson` is the JSON of the rest of the details as
 * recorded, with the document's field null in its place, so the store does not serialise that either.
 */
export interface RecordedDocument {
  readonly field: DocumentField;
  readonly json: string;
  readonly restJson: string;
}

/**
 * Where the details the recorder built keep their document's JSON: a property JSON, spreads and
 * equality checks do not see (not enumerable, a symbol), cleared once a reader reads or sets the
 * document. (A WeakMap was measurably dearer: one entry per event for the collector to trace.)
 */
const RECORDED = Symbol("irflow.recordedDocument");

type RecordedDetails = Record<string, JsonValue> & { [RECORDED]?: RecordedDocument | undefined };

/** The JSON the recorder made of the event's document, while the document is still as recorded. */
export function recordedDocumentOf(details: object): RecordedDocument | undefined {
  return (details as RecordedDetails)[RECORDED];
}

/** The document as a plain property from now on, and its recorded JSON forgotten. */
function settle(details: RecordedDetails, field: DocumentField, value: JsonValue): void {
  details[RECORDED] = undefined;
  Object.defineProperty(details, field, { value, writable: true, enumerable: true, configurable: true });
}

/** One accessor per field, shared by every event (no closures per event). */
function accessorOf(field: DocumentField): PropertyDescriptor {
  return {
    enumerable: true,
    configurable: true,
    get(this: RecordedDetails): JsonValue {
      const recorded = this[RECORDED];
      // Placed, and the JSON not handed over yet (the recorder serialising the rest): null in its place.
      // (Once the JSON is cleared the accessor is gone.)
      if (recorded === undefined) return null;
      const value = JSON.parse(recorded.json) as JsonValue;
      settle(this, field, value);
      return value;
    },
    set(this: RecordedDetails, value: JsonValue): void {
      settle(this, field, value);
    },
  };
}

const ACCESSORS: Readonly<Record<DocumentField, PropertyDescriptor>> = { input: accessorOf("input"), output: accessorOf("output"), parameters: accessorOf("parameters") };

/**
 * The details a reader sees: `rest` (the recorder's own copy, taken over) with the document in its
 * place, parsed from its JSON when it is first read (most events are stored and never read in this process, and parsing is the
 * larger part of a copy). From then on the document is a plain property the reader may change,
 * and a store serialises whatever it holds, as it did before the JSON was kept.
 */
export function detailsWithDocument(document: RecordedDocument, rest: Record<string, JsonValue>): Record<string, JsonValue> {
  // The rest holds the field already (null): it turns into the accessor where it stands.
  placeDocument(rest, document.field);
  return attachDocument(rest, document);
}

/**
 * The document's accessor added to details being built, at its place in their key order (adding
 * it is half the cost of turning a data property into it); it reads null until `attachDocument`.
 */
export function placeDocument(details: Record<string, JsonValue>, field: DocumentField): void {
  Object.defineProperty(details, field, ACCESSORS[field]);
}

/** Details with the accessor placed (`placeDocument`) read their document from its recorded JSON from now on. */
export function attachDocument(details: Record<string, JsonValue>, document: RecordedDocument): Record<string, JsonValue> {
  Object.defineProperty(details, RECORDED, { value: document, writable: true, enumerable: false, configurable: true });
  return details;
}
