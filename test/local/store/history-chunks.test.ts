import { describe, expect, it } from "vitest";
import { InMemoryHistory, type HistoryEvent, type HistorySink } from "../../../workflows/local/history.js";
import { HistoryRecorder } from "../../../workflows/local/history-recorder.js";
import type { JsonValue } from "../../../workflows/local/json.js";
import type { EmbeddedDatabase } from "../../../workflows/local/store/embedded-database.js";
import { SqliteHistory } from "../../../workflows/local/store/sqlite-history.js";
import { useTempDatabases } from "./support.js";

const temp = useTempDatabases();

const ARN = "arn:aws:states:eu-west-1:123456789012:execution:contain:run-1";
const OTHER = "arn:aws:states:eu-west-1:123456789012:execution:contain:run-2";

/** A document big enough to be shared (short ones are stored in place). */
const incident = (step: number): JsonValue => ({ incident: { id: "inc-1", summary: "SSH brute force against i-0abc".repeat(4) }, step, results: [{ ok: true }] });

/** Numbers the drafts 1, 2, … as the recorder does. */
function numbered(drafts: readonly Pick<HistoryEvent, "type" | "details">[]): HistoryEvent[] {
  return drafts.map((draft, index) => ({ ...draft, id: index + 1, previousEventId: index, timestamp: `2026-11-24T12:00:0${index % 10}.000Z` }) as HistoryEvent);
}

interface StoredRow {
  id: number;
  document_field: string | null;
  document: string | null;
  document_from: number | null;
}

interface RawEvent {
  id: number;
  document?: { field: string; json?: unknown; from?: number };
}

/** Each stored event's document as its chunk holds it: its JSON, or the event it repeats. */
const rows = (database: EmbeddedDatabase, arn = ARN): StoredRow[] =>
  database.db
    .prepare<[string], { events: string }>("SELECT events FROM history_chunks WHERE execution_arn = ? ORDER BY first_id")
    .all(arn)
    .flatMap((row) => JSON.parse(row.events) as RawEvent[])
    .map(({ id, document }) => ({
      id,
      document_field: document?.field ?? null,
      document: document?.json === undefined ? null : JSON.stringify(document.json),
      document_from: document?.from ?? null,
    }));

describe("history chunks: documents stored once per execution", () => {
  it("stores a repeated input, output or parameters once, and reads every event back whole, its keys in order", () => {
    const database = temp.fresh();
    const history = new SqliteHistory(database);
    const first = incident(1);
    const second = incident(2);
    const events = numbered([
      { type: "ExecutionStarted", details: { input: first, stateMachineArn: "arn:sm" } },
      { type: "TaskStateEntered", details: { name: "Isolate", input: first } },
      { type: "TaskScheduled", details: { resourceType: "lambda", resource: "invoke", parameters: structuredClone(first), timeoutInSeconds: 60 } },
      { type: "TaskSucceeded", details: { resourceType: "lambda", resource: "invoke", output: second } },
      { type: "TaskStateExited", details: { name: "Isolate", output: second } },
      { type: "ExecutionSucceeded", details: { output: structuredClone(second) } },
    ]);
    for (const event of events) history.append(ARN, event);

    const read = history.events(ARN);
    expect(read).toEqual(events);
    // Same keys in the same order as the event appended (JSON text compares order too).
    expect(read.map((event) => JSON.stringify(event))).toEqual(events.map((event) => JSON.stringify(event)));
    expect(rows(database)).toEqual([
      { id: 1, document_field: "input", document: JSON.stringify(first), document_from: null },
      { id: 2, document_field: "input", document: null, document_from: 1 },
      // Equal content, another object: still stored once.
      { id: 3, document_field: "parameters", document: null, document_from: 1 },
      { id: 4, document_field: "output", document: JSON.stringify(second), document_from: null },
      { id: 5, document_field: "output", document: null, document_from: 4 },
      { id: 6, document_field: "output", document: null, document_from: 4 },
    ]);
  });

  it("stores the events of one append as one row, and refuses an id the execution has, also through another connection", () => {
    const dir = temp.dir();
    const database = temp.open(dir);
    const history = new SqliteHistory(database);
    const document = incident(1);
    const [started, entered, exited, succeeded] = numbered([
      { type: "ExecutionStarted", details: { input: document, stateMachineArn: "arn:sm" } },
      { type: "PassStateEntered", details: { name: "Note", input: document } },
      { type: "PassStateExited", details: { name: "Note", output: document } },
      { type: "ExecutionSucceeded", details: { output: document } },
    ]);
    history.appendAll(ARN, [started!, entered!]);
    history.appendAll(ARN, [exited!]);
    const chunks = () => database.db.prepare<[string], { first_id: number; last_id: number }>("SELECT first_id, last_id FROM history_chunks WHERE execution_arn = ? ORDER BY first_id").all(ARN);
    expect(chunks()).toEqual([
      { first_id: 1, last_id: 2 },
      { first_id: 3, last_id: 3 },
    ]);
    // A second process (its own connection and store) knows nothing of this one's writes but what the file holds.
    const other = new SqliteHistory(temp.open(dir));
    expect(() => other.appendAll(ARN, [{ ...exited!, id: 3 }, succeeded!])).toThrow(`sqlite history: ${ARN} already has event 3`);
    // Ids within one append must rise too; nothing of a refused append is stored.
    expect(() => history.appendAll(ARN, [succeeded!, succeeded!])).toThrow(`sqlite history: ${ARN} already has event 4`);
    expect(chunks()).toHaveLength(2);
    history.appendAll(ARN, [succeeded!]);
    expect(other.events(ARN)).toEqual([started, entered, exited, succeeded]);
    expect(other.list()).toEqual([expect.objectContaining({ executionArn: ARN, status: "SUCCEEDED" })]);
  });

  it("refuses ids that are not integers (they go into the chunk's JSON as they are) and stores nothing of that append", () => {
    const database = temp.fresh();
    const history = new SqliteHistory(database);
    const [started] = numbered([{ type: "ExecutionStarted", details: { input: {}, stateMachineArn: "arn:sm" } }]);
    expect(() => history.appendAll(ARN, [{ ...started!, id: Number.NaN }])).toThrow("sqlite history: event ids must be integers, not NaN after 0");
    expect(() => history.appendAll(ARN, [started!, { ...started!, id: 2, previousEventId: 1.5 }])).toThrow(/must be integers, not 2 after 1.5/);
    expect(rows(database)).toEqual([]);
    history.appendAll(ARN, [started!]);
    expect(history.events(ARN)).toEqual([started]);
  });

  it("reads back whatever JSON the documents and details hold: unicode, markup, line separators, __proto__ keys, falsy documents", () => {
    const history = new SqliteHistory(temp.fresh());
    const hostile = JSON.parse(
      '{"__proto__":{"polluted":true},"10":"integer-like key","html":"</script><script>alert(1)</script>","lines":"a\u2028b\u2029c","emoji":"🛡️ ünïcödé","lone":"\ud800","deep":[[{"":null}]],"padding":"' + "x".repeat(80) + '"}',
    ) as JsonValue;
    const events = numbered([
      { type: "ExecutionStarted", details: { input: hostile, stateMachineArn: "arn:sm" } },
      { type: "PassStateEntered", details: { name: "</script>\u2028", input: hostile } },
      { type: "PassStateExited", details: { name: "falsy", output: null } },
      { type: "PassStateEntered", details: { name: "falsy", input: 0 } },
      { type: "PassStateExited", details: { name: "falsy", output: "" } },
      { type: "TaskScheduled", details: { resourceType: "lambda", resource: "invoke", parameters: false, timeoutInSeconds: 60 } },
    ]);
    history.appendAll(ARN, events);
    const read = history.events(ARN);
    expect(read).toEqual(events);
    expect(read.map((event) => JSON.stringify(event))).toEqual(events.map((event) => JSON.stringify(event)));
    // Still a plain own key, not the prototype.
    const input = (read[1] as HistoryEvent & { type: "PassStateEntered" }).details.input as Record<string, unknown>;
    expect(Object.getPrototypeOf(input)).toBe(Object.prototype);
    expect(Object.hasOwn(input, "__proto__")).toBe(true);
  });

  it("reads each repeat of a document back as its own copy", () => {
    const history = new SqliteHistory(temp.fresh());
    const document = incident(1);
    history.appendAll(ARN, numbered([
      { type: "ExecutionStarted", details: { input: document, stateMachineArn: "arn:sm" } },
      { type: "PassStateEntered", details: { name: "Note", input: document } },
    ]));
    const [started, entered] = history.events(ARN) as [HistoryEvent & { type: "ExecutionStarted" }, HistoryEvent & { type: "PassStateEntered" }];
    (entered.details.input as Record<string, unknown>).step = 99;
    expect(started.details.input).toEqual(document);
  });

  it("shares documents within an execution only, stores short ones in place, and leaves events without one alone", () => {
    const database = temp.fresh();
    const history = new SqliteHistory(database);
    const document = incident(1);
    history.append(ARN, numbered([{ type: "ExecutionStarted", details: { input: document, stateMachineArn: "arn:sm" } }])[0]!);
    history.append(OTHER, numbered([{ type: "ExecutionStarted", details: { input: document, stateMachineArn: "arn:sm" } }])[0]!);
    const [, entered, failed, exited] = numbered([
      { type: "ExecutionStarted", details: { input: {}, stateMachineArn: "arn:sm" } },
      { type: "PassStateEntered", details: { name: "Note", input: { a: 1 } } },
      { type: "TaskFailed", details: { resourceType: "lambda", resource: "invoke", error: "Transient", cause: "throttled" } },
      { type: "PassStateExited", details: { name: "Note", output: { a: 1 } } },
    ]);
    for (const event of [entered!, failed!, exited!]) history.append(OTHER, event);

    expect(rows(database, OTHER)).toEqual([
      { id: 1, document_field: "input", document: JSON.stringify(document), document_from: null },
      { id: 2, document_field: "input", document: '{"a":1}', document_from: null },
      { id: 3, document_field: null, document: null, document_from: null },
      { id: 4, document_field: "output", document: '{"a":1}', document_from: null },
    ]);
    expect(history.events(OTHER).map((event) => event.details)).toEqual([{ input: document, stateMachineArn: "arn:sm" }, entered!.details, failed!.details, exited!.details]);
  });

  it.each([
    ["a refused append", (history: SqliteHistory, started: HistoryEvent) => expect(() => history.append(ARN, started)).toThrow(/already has event 1/)],
    // BatchedHistory's call when a write of the execution failed, in a COMMIT that rolled back what was remembered, say.
    ["being told to forget the execution", (history: SqliteHistory) => history.forget(ARN)],
  ])("stores documents again after %s, as what it remembered may not have been written", (_, drop) => {
    const database = temp.fresh();
    const history = new SqliteHistory(database);
    const [started, entered] = numbered([
      { type: "ExecutionStarted", details: { input: incident(1), stateMachineArn: "arn:sm" } },
      { type: "TaskStateEntered", details: { name: "Isolate", input: incident(1) } },
    ]);
    history.append(ARN, started!);
    drop(history, started!);
    history.append(ARN, entered!);
    expect(rows(database).map((row) => row.document_from)).toEqual([null, null]);
    expect(history.events(ARN)).toEqual([started, entered]);
  });

  it("forgets an execution's documents at its terminal event", () => {
    const database = temp.fresh();
    const history = new SqliteHistory(database);
    const document = incident(1);
    const events = numbered([
      { type: "ExecutionStarted", details: { input: document, stateMachineArn: "arn:sm" } },
      { type: "ExecutionSucceeded", details: { output: document } },
      // Never recorded by a real run (nothing follows the end): it shows nothing was kept to share.
      { type: "PassStateExited", details: { name: "After", output: document } },
    ]);
    for (const event of events) history.append(ARN, event);
    expect(rows(database).map((row) => row.document_from)).toEqual([null, 1, null]);
  });

  it("remembers at most 64 distinct documents per execution, the oldest forgotten first", () => {
    const database = temp.fresh();
    const history = new SqliteHistory(database);
    const drafts: Pick<HistoryEvent, "type" | "details">[] = [{ type: "ExecutionStarted", details: { input: incident(0), stateMachineArn: "arn:sm" } }];
    for (let step = 1; step <= 64; step += 1) drafts.push({ type: "PassStateEntered", details: { name: `Step ${step}`, input: incident(step) } });
    // incident(0) is the oldest of 65: forgotten. incident(64), the newest, is remembered.
    drafts.push({ type: "PassStateEntered", details: { name: "Again", input: incident(64) } }, { type: "PassStateEntered", details: { name: "Again", input: incident(0) } });
    const events = numbered(drafts);
    for (const event of events) history.append(ARN, event);
    expect(rows(database).slice(-2)).toEqual([
      { id: 66, document_field: "input", document: null, document_from: 65 },
      { id: 67, document_field: "input", document: JSON.stringify(incident(0)), document_from: null },
    ]);
    expect(history.events(ARN)).toEqual(events);
  });

  it("tells apart documents of the same length, and names the right one of them", () => {
    const database = temp.fresh();
    const history = new SqliteHistory(database);
    const [a, b, c] = ["a", "b", "c"].map((letter) => ({ incident: { id: `inc-${letter}`, summary: "SSH brute force against i-0abc".repeat(4) } }));
    const events = numbered([
      { type: "ExecutionStarted", details: { input: a!, stateMachineArn: "arn:sm" } },
      { type: "PassStateEntered", details: { name: "B", input: b! } },
      { type: "PassStateEntered", details: { name: "C", input: c! } },
      { type: "PassStateEntered", details: { name: "B again", input: structuredClone(b!) } },
      { type: "PassStateEntered", details: { name: "A again", input: structuredClone(a!) } },
    ]);
    for (const event of events) history.append(ARN, event);
    expect(rows(database).map((row) => row.document_from)).toEqual([null, null, null, 2, 1]);
    expect(history.events(ARN)).toEqual(events);
  });

  it("stores the JSON the recorder made of a document, reading back what a recorder's reader sees", () => {
    const database = temp.fresh();
    const history = new SqliteHistory(database);
    const memory = new InMemoryHistory();
    const both: HistorySink = { append: (arn, event) => (history.append(arn, event), memory.append(arn, event)) };
    const recorder = new HistoryRecorder(ARN, both, { now: () => new Date("2026-11-24T12:00:00.000Z") });
    recorder.record({ type: "ExecutionStarted", details: { input: incident(1), stateMachineArn: "arn:sm" } });
    recorder.record({ type: "TaskStateEntered", details: { name: "Isolate", input: incident(1) } });
    recorder.record({ type: "TaskScheduled", details: { resourceType: "lambda", resource: "invoke", parameters: incident(1), timeoutInSeconds: 60 } });
    recorder.record({ type: "ExecutionSucceeded", details: { output: incident(2) } });
    expect(rows(database).map((row) => row.document_from)).toEqual([null, 1, 1, null]);
    expect(history.events(ARN)).toEqual(memory.events(ARN));
    expect(history.events(ARN).map((event) => Object.keys(event.details))).toEqual([["input", "stateMachineArn"], ["name", "input"], ["resourceType", "resource", "parameters", "timeoutInSeconds"], ["output"]]);
  });

  it("refuses to read an event whose document names an event that holds none, naming both", () => {
    const database = temp.fresh();
    const history = new SqliteHistory(database);
    const events = numbered([
      { type: "ExecutionStarted", details: { input: incident(1), stateMachineArn: "arn:sm" } },
      { type: "TaskStateEntered", details: { name: "Isolate", input: incident(1) } },
    ]);
    for (const event of events) history.append(ARN, event);
    database.db.prepare("UPDATE history_chunks SET events = replace(events, '\"from\":1', '\"from\":7') WHERE first_id = 2").run();
    expect(() => history.events(ARN)).toThrow(`sqlite history: event 2 of ${ARN} repeats the input of event 7, which holds no document`);
  });
});
