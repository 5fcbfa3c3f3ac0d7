import { describe, expect, it } from "vitest";
import { tokenDigest } from "../../workflows/local/callback-tokens.js";
import { checkDataLimit } from "../../workflows/local/errors.js";
import { InMemoryHistory, type HistoryDraft, type HistoryEvent } from "../../workflows/local/history.js";
import { HistoryRecorder } from "../../workflows/local/history-recorder.js";
import { jsonCopy, type JsonValue } from "../../workflows/local/json.js";
import { recordedDocumentOf } from "../../workflows/local/recorded-document.js";
import { ChunkEncoder, decodeChunks } from "../../workflows/local/store/history-chunks.js";
import { approval, engineFor, eventually, machine } from "./machines.js";

const ARN = "arn:aws:states:eu-west-1:123456789012:execution:contain:run-1";
const clock = { now: () => new Date("2026-11-24T12:00:00.000Z") };
/** A token as `mintToken` makes them (64 base64url characters), starting with a letter JSON also writes after a backslash. */
const TOKEN = "nbc_def-0123456789Abc_def-0123456789Abc_def-0123456789Abc_def-01";
const DIGEST = tokenDigest(TOKEN);

function recorderInto(history = new InMemoryHistory()) {
  return { recorder: new HistoryRecorder(ARN, history, clock), history };
}

/** What the recorder made of details before it kept the document's JSON: a walk's copy, the state events' document last. */
function walked(draft: HistoryDraft, replace?: (text: string) => string): JsonValue {
  const details = draft.details as Record<string, unknown>;
  const field = draft.type.endsWith("StateEntered") ? "input" : draft.type.endsWith("StateExited") || draft.type === "ExecutionSucceeded" ? "output" : undefined;
  if (field === undefined || details[field] === undefined) return jsonCopy(details, replace);
  return { ...(jsonCopy({ ...details, [field]: undefined }, replace) as Record<string, JsonValue>), [field]: jsonCopy(details[field], replace) };
}

const redacting = (text: string) => text.split(TOKEN).join(DIGEST);

class Stamp {
  toJSON() {
    return { at: "2026-11-24" };
  }
}

/** Documents JSON treats in every way it can: what the walk made of each is what is recorded and stored. */
const documents: Record<string, unknown> = {
  plain: { incident: { id: "inc-1", hosts: ["i-1", "i-2"] }, count: 3, ok: true, none: null },
  unicode: { text: "naïve \u2028 line \u2029 sep \ud83d\ude00 <script>&amp;</script> \"quoted\" back\\slash \n tab\t" },
  protoKey: JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as unknown,
  odd: { gone: undefined, fn: () => 1, nan: Number.NaN, inf: Number.POSITIVE_INFINITY, date: new Date("2026-11-24T12:00:00.000Z"), stamp: new Stamp(), list: [undefined, () => 1, 2] },
  integerKeys: { b: 1, 2: "two", a: 3, 1: "one" },
  primitive: "just text",
  empty: {},
  nullDocument: null,
};

function draftsWith(document: unknown): HistoryDraft[] {
  const resource = { resourceType: "lambda", resource: "invoke" };
  return [
    { type: "ExecutionStarted", details: { input: document as JsonValue, stateMachineArn: "arn:sm" } },
    { type: "TaskStateEntered", details: { name: "Isolate", input: document as JsonValue } },
    { type: "TaskScheduled", details: { ...resource, parameters: document as JsonValue, timeoutInSeconds: 60 } },
    { type: "TaskSucceeded", details: { ...resource, output: document as JsonValue } },
    { type: "TaskStateExited", details: { name: "Isolate", output: document as JsonValue } },
    { type: "ExecutionSucceeded", details: { output: document as JsonValue } },
  ];
}

/** The events as stored in a chunk and read back. */
function storedAndRead(events: readonly HistoryEvent[]): HistoryEvent[] {
  return decodeChunks(ARN, [new ChunkEncoder().encode(events)]);
}

describe("history recorder: each document serialised once", () => {
  for (const [name, document] of Object.entries(documents)) {
    it(`records and stores what a walk's copy made of a ${name} document, keys in the same order`, () => {
      const { recorder, history } = recorderInto();
      const drafts = draftsWith(document);
      for (const draft of drafts) recorder.record(draft);
      const events = history.events(ARN);
      const expected = drafts.map((draft) => walked(draft));
      // Serialised as the store did before (the JSON of the walk's copy)…
      expect(storedAndRead(events).map((event) => JSON.stringify(event.details))).toEqual(expected.map((details) => JSON.stringify(details)));
      // …and the same to a reader, key order included.
      expect(events.map((event) => event.details)).toEqual(expected);
      expect(events.map((event) => JSON.stringify(event.details))).toEqual(expected.map((details) => JSON.stringify(details)));
    });
  }

  it("stores byte for byte the chunk the encoder made of the walk's copies", () => {
    const { recorder, history } = recorderInto();
    const drafts = Object.values(documents).flatMap(draftsWith);
    for (const draft of drafts) recorder.record(draft);
    const copies = history.events(ARN).map((event, index) => ({ ...event, details: walked(drafts[index]!) }) as HistoryEvent);
    expect(new ChunkEncoder().encode(history.events(ARN))).toBe(new ChunkEncoder().encode(copies));
  });

  it("copies the other details as the walk did, whatever they hold (odd numbers, nested values, a __proto__ key), and stores the same bytes", () => {
    const { recorder, history } = recorderInto();
    const protoKey = JSON.parse('{"__proto__": "p", "name": "A", "input": {"a": 1}}') as { name: string; input: JsonValue };
    const drafts = [
      { type: "TaskStarted", details: { resourceType: "lambda", resource: "invoke" } },
      { type: "TaskScheduled", details: { resourceType: "lambda", resource: "invoke", parameters: { a: 1 }, timeoutInSeconds: Number.NaN, heartbeatInSeconds: Number.POSITIVE_INFINITY } },
      { type: "TaskSucceeded", details: { resourceType: "lambda", gone: undefined, flag: true, none: null, resource: "invoke", output: "text" } },
      { type: "TaskStateEntered", details: { input: { a: 1 }, name: "A", extra: { nested: [1, undefined] } } },
      { type: "TaskStateExited", details: { output: null, name: "A", fn: () => 1 } },
      { type: "PassStateEntered", details: protoKey },
      { type: "MapIterationStarted", details: { name: "M", index: 0, at: new Date("2026-11-24T12:00:00.000Z") } },
      { type: "ExecutionSucceeded", details: { output: undefined } },
    ] as unknown as HistoryDraft[];
    for (const draft of drafts) recorder.record(draft);
    const events = history.events(ARN);
    const expected = drafts.map((draft) => walked(draft));
    expect(events.map((event) => JSON.stringify(event.details))).toEqual(expected.map((details) => JSON.stringify(details)));
    const copies = events.map((event, index) => ({ ...event, details: walked(drafts[index]!) }) as HistoryEvent);
    expect(new ChunkEncoder().encode(events)).toBe(new ChunkEncoder().encode(copies));
  });

  it("hands the store the document's JSON, and a reader the document parsed when first read, as its own copy", () => {
    const { recorder, history } = recorderInto();
    const output = { incident: { id: "inc-1" } };
    recorder.record({ type: "TaskStateExited", details: { name: "A", output } });
    recorder.record({ type: "PassStateEntered", details: { name: "B", input: output } });
    const [exited, entered] = history.events(ARN);
    expect(recordedDocumentOf(exited!.details)).toEqual({ field: "output", json: JSON.stringify(output), restJson: '{"name":"A","output":null}' });
    // The state's output and the next state's input were serialised once: the very same JSON.
    expect(recordedDocumentOf(entered!.details)!.json).toBe(recordedDocumentOf(exited!.details)!.json);
    const read = (exited!.details as { output: JsonValue }).output;
    expect(read).toEqual(output);
    expect(read).not.toBe(output);
    expect((exited!.details as { output: JsonValue }).output).toBe(read);
    // Once read, the store serialises what the reader holds (it may have changed it).
    expect(recordedDocumentOf(exited!.details)).toBeUndefined();
    expect(recordedDocumentOf(entered!.details)).toBeDefined();
    // A change by the source after recording reaches nothing recorded.
    output.incident.id = "changed";
    expect((entered!.details as { input: JsonValue }).input).toEqual({ incident: { id: "inc-1" } });
  });

  it("stores what a reader changed or set, as it did when details were plain copies", () => {
    const { recorder, history } = recorderInto();
    recorder.record({ type: "ExecutionStarted", details: { input: { a: 1 }, stateMachineArn: "arn:sm" } });
    recorder.record({ type: "TaskStateEntered", details: { name: "A", input: { b: 1 } } });
    const [started, entered] = history.events(ARN) as [HistoryEvent & { details: { input: { a: number } } }, HistoryEvent & { details: { input: JsonValue } }];
    started.details.input.a = 2;
    entered.details.input = { replaced: true };
    expect(recordedDocumentOf(entered.details)).toBeUndefined();
    expect(Object.keys(entered.details)).toEqual(["name", "input"]);
    expect(storedAndRead(history.events(ARN)).map((event) => event.details)).toEqual([
      { input: { a: 2 }, stateMachineArn: "arn:sm" },
      { name: "A", input: { replaced: true } },
    ]);
  });

  it("keeps a document in its place among the other details (a task's parameters), read or set, and stored as the reader left it", () => {
    const { recorder, history } = recorderInto();
    const resource = { resourceType: "lambda", resource: "invoke" };
    recorder.record({ type: "TaskScheduled", details: { ...resource, parameters: { a: [1] }, timeoutInSeconds: 60 } });
    recorder.record({ type: "TaskScheduled", details: { ...resource, parameters: { b: 2 }, timeoutInSeconds: 30 } });
    const [read, set] = history.events(ARN) as [HistoryEvent & { details: { parameters: JsonValue } }, HistoryEvent & { details: { parameters: JsonValue } }];
    expect(Object.keys(read.details)).toEqual(["resourceType", "resource", "parameters", "timeoutInSeconds"]);
    expect(recordedDocumentOf(read.details)!.restJson).toBe('{"resourceType":"lambda","resource":"invoke","parameters":null,"timeoutInSeconds":60}');
    expect(JSON.stringify(read.details)).toBe('{"resourceType":"lambda","resource":"invoke","parameters":{"a":[1]},"timeoutInSeconds":60}');
    set.details.parameters = { replaced: true };
    expect(Object.keys(set.details)).toEqual(["resourceType", "resource", "parameters", "timeoutInSeconds"]);
    expect(storedAndRead(history.events(ARN)).map((event) => JSON.stringify(event.details))).toEqual([
      '{"resourceType":"lambda","resource":"invoke","parameters":{"a":[1]},"timeoutInSeconds":60}',
      '{"resourceType":"lambda","resource":"invoke","parameters":{"replaced":true},"timeoutInSeconds":30}',
    ]);
  });

  it("keeps the recorded JSON out of what a reader sees: spreads, JSON, clones and equality", () => {
    const { recorder, history } = recorderInto();
    recorder.record({ type: "TaskStateEntered", details: { name: "A", input: { x: [1, 2] } } });
    const details = history.events(ARN)[0]!.details;
    expect(Object.getOwnPropertyNames(details)).toEqual(["name", "input"]);
    expect({ ...details }).toEqual({ name: "A", input: { x: [1, 2] } });
    expect(structuredClone(details)).toEqual({ name: "A", input: { x: [1, 2] } });
    expect(JSON.stringify(details)).toBe('{"name":"A","input":{"x":[1,2]}}');
  });

  it("stamps each event with the clock's reading, read per event", () => {
    let time = Date.parse("2026-11-24T12:00:00.000Z");
    const ticking = { now: () => new Date(time) };
    const history = new InMemoryHistory();
    const recorder = new HistoryRecorder(ARN, history, ticking);
    recorder.record({ type: "ExecutionStarted", details: { input: {}, stateMachineArn: "arn:sm" } });
    recorder.record({ type: "PassStateEntered", details: { name: "A", input: {} } });
    time += 1;
    recorder.record({ type: "PassStateExited", details: { name: "A", output: {} } });
    expect(history.events(ARN).map((event) => event.timestamp)).toEqual(["2026-11-24T12:00:00.000Z", "2026-11-24T12:00:00.000Z", "2026-11-24T12:00:00.001Z"]);
  });

  it("records a task's result with the JSON made when it was measured against the data cap, redacted all the same", () => {
    const { recorder, history } = recorderInto();
    recorder.redact(TOKEN);
    const result = { Payload: { token: TOKEN, [TOKEN]: 1 }, StatusCode: 200 };
    checkDataLimit(result, "the result");
    recorder.record({ type: "TaskSucceeded", details: { resourceType: "lambda", resource: "invoke", output: result } });
    const expected = { resourceType: "lambda", resource: "invoke", output: { Payload: { token: DIGEST, [TOKEN]: 1 }, StatusCode: 200 } };
    expect(storedAndRead(history.events(ARN))[0]!.details).toEqual(expected);
    expect(history.events(ARN)[0]!.details).toEqual(expected);
  });

  it("fails to record, as JSON does, a document JSON cannot write", () => {
    const { recorder } = recorderInto();
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => recorder.record({ type: "TaskStateEntered", details: { name: "A", input: cycle as JsonValue } })).toThrow(TypeError);
    expect(() => recorder.record({ type: "TaskStateEntered", details: { name: "A", input: { big: 1n } as unknown as JsonValue } })).toThrow(TypeError);
  });
});

describe("history recorder: a secret replaced where the walk replaced it", () => {
  const cases: Record<string, unknown> = {
    "a string value": { taskToken: TOKEN },
    "inside a built string (States.Format)": { note: `answer with ${TOKEN} please`, twice: `${TOKEN}:${TOKEN}` },
    "a key (kept, as the walk kept keys)": { [TOKEN]: "value", nested: { [`pre-${TOKEN}`]: TOKEN } },
    "next to escapes": { text: `line\n${TOKEN}\t"${TOKEN}"\\`, list: [TOKEN, 1, null] },
    "the whole document": TOKEN,
    "a look-alike that is not it": { text: `n${TOKEN.slice(1)}`, escaped: `\n${TOKEN.slice(1)}` },
  };
  for (const [name, document] of Object.entries(cases)) {
    it(`in ${name}`, () => {
      const { recorder, history } = recorderInto();
      recorder.redact(TOKEN);
      const drafts = draftsWith(document);
      for (const draft of drafts) recorder.record(draft);
      const expected = drafts.map((draft) => walked(draft, redacting));
      expect(history.events(ARN).map((event) => event.details)).toEqual(expected);
      expect(storedAndRead(history.events(ARN)).map((event) => JSON.stringify(event.details))).toEqual(expected.map((details) => JSON.stringify(details)));
    });
  }

  it("in the other details' strings (a cause that quotes it)", () => {
    const { recorder, history } = recorderInto();
    recorder.redact(TOKEN);
    recorder.record({ type: "TaskFailed", details: { resourceType: "lambda", resource: "invoke", error: "Bad", cause: `token ${TOKEN} refused` } });
    expect(history.events(ARN)[0]!.details).toEqual({ resourceType: "lambda", resource: "invoke", error: "Bad", cause: `token ${DIGEST} refused` });
  });

  it("stores, byte for byte, a chunk with its digest in the other details and in a document", () => {
    const { recorder, history } = recorderInto();
    recorder.redact(TOKEN);
    const resource = { resourceType: "lambda", resource: "invoke.waitForTaskToken" };
    recorder.record({ type: "TaskScheduled", details: { ...resource, parameters: { token: TOKEN, note: `use ${TOKEN}` }, timeoutInSeconds: 60 } });
    recorder.record({ type: "TaskFailed", details: { ...resource, error: "Bad", cause: `token ${TOKEN} refused` } });
    recorder.record({ type: "TaskStateExited", details: { name: `A ${TOKEN}`, output: [TOKEN] } });
    const chunk = new ChunkEncoder().encode(history.events(ARN));
    const at = '"timestamp":"2026-11-24T12:00:00.000Z"}';
    expect(chunk).toBe(
      "[" +
        `{"type":"TaskScheduled","details":{"resourceType":"lambda","resource":"invoke.waitForTaskToken","parameters":null,"timeoutInSeconds":60},"document":{"field":"parameters","json":{"token":"${DIGEST}","note":"use ${DIGEST}"}},"id":1,"previousEventId":0,${at},` +
        `{"type":"TaskFailed","details":{"resourceType":"lambda","resource":"invoke.waitForTaskToken","error":"Bad","cause":"token ${DIGEST} refused"},"id":2,"previousEventId":1,${at},` +
        `{"type":"TaskStateExited","details":{"name":"A ${DIGEST}","output":null},"document":{"field":"output","json":["${DIGEST}"]},"id":3,"previousEventId":2,${at}` +
        "]",
    );
    expect(chunk).not.toContain(TOKEN);
  });

  it("only from when it is given: a document recorded before keeps it, one shared with the next state is serialised again", () => {
    const { recorder, history } = recorderInto();
    const output = { taskToken: TOKEN };
    recorder.record({ type: "TaskStateExited", details: { name: "A", output } });
    recorder.redact(TOKEN);
    recorder.record({ type: "TaskStateEntered", details: { name: "B", input: output } });
    expect(history.events(ARN).map((event) => event.details)).toEqual([
      { name: "A", output: { taskToken: TOKEN } },
      { name: "B", input: { taskToken: DIGEST } },
    ]);
  });

  it("a secret JSON would escape is still replaced wherever it occurs in a string value", () => {
    const { recorder, history } = recorderInto();
    const secret = 'tok"en\\with\nescapes';
    recorder.redact(secret);
    recorder.record({ type: "TaskStateEntered", details: { name: "A", input: { value: `x${secret}y`, [secret]: 1 } } });
    const stored = storedAndRead(history.events(ARN))[0]!;
    expect(stored.details).toEqual({ name: "A", input: { value: `x${tokenDigest(secret)}y`, [secret]: 1 } });
  });

  it("of a callback task: the token is nowhere in the history, its digest where the token was (a States.Format result included)", async () => {
    const { engine, history } = engineFor({ "t/approve": machine({ Ask: { ...approval(), End: true } }) }, { "approval.request": () => Promise.resolve({ sent: true }) });
    const run = engine.start("t/approve", { incident: "inc-1" });
    const pending = await eventually(() => engine.pendingTokens()[0]);
    engine.sendTaskSuccess(pending.token, { approved: true });
    await run.result;
    const events = history.events(run.executionArn);
    // What a store writes, before anything reads the documents.
    const stored = new ChunkEncoder().encode(events);
    const digest = tokenDigest(pending.token);
    expect(JSON.stringify(events)).not.toContain(pending.token);
    expect(stored).not.toContain(pending.token);
    expect(stored).toContain(`answer with ${digest}`);
    const scheduled = events.find((event) => event.type === "TaskScheduled")!;
    expect(scheduled.details).toMatchObject({ parameters: { Payload: { taskToken: digest, note: `answer with ${digest}` } } });
  });
});
