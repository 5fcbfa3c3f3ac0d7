import { describe, expect, it } from "vitest";
import type { HistoryEvent } from "../../../workflows/local/history.js";
import { EmbeddedDatabase, MIGRATIONS } from "../../../workflows/local/store/embedded-database.js";
import { SqliteHistory } from "../../../workflows/local/store/sqlite-history.js";
import { useTempDatabases } from "./support.js";

const temp = useTempDatabases();

const ARN = "arn:aws:states:eu-west-1:123456789012:execution:contain:run-1";
const CHILD = "arn:aws:states:eu-west-1:123456789012:execution:child:run-1";

const events: HistoryEvent[] = [
  { id: 1, previousEventId: 0, timestamp: "2026-11-24T12:00:00.000Z", type: "ExecutionStarted", details: { input: { a: [1, null] }, stateMachineArn: "arn:sm" } },
  { id: 2, previousEventId: 1, timestamp: "2026-11-24T12:00:01.000Z", type: "TaskStateEntered", details: { name: "Isolate", input: {} } },
  { id: 3, previousEventId: 2, timestamp: "2026-11-24T12:00:02.000Z", type: "TaskFailed", details: { resourceType: "lambda", resource: "invoke", error: "Transient", cause: "throttled" } },
  { id: 4, previousEventId: 3, timestamp: "2026-11-24T12:00:03.000Z", type: "ExecutionSucceeded", details: { output: { ok: true } } },
];

describe("SqliteHistory", () => {
  it("keeps each execution's events in order, and the executions in the order they began", () => {
    const history = new SqliteHistory(temp.fresh());
    expect(history.events(ARN)).toEqual([]);
    history.append(CHILD, events[0]!);
    for (const event of events) history.append(ARN, event);
    expect(history.events(ARN)).toEqual(events);
    expect(history.events(CHILD)).toEqual([events[0]]);
    expect(history.executions()).toEqual([CHILD, ARN]);
  });

  it("stores an event once: the same id again is an error", () => {
    const history = new SqliteHistory(temp.fresh());
    history.append(ARN, events[0]!);
    expect(() => history.append(ARN, events[0]!)).toThrow(/already has event 1/);
    expect(history.events(ARN)).toHaveLength(1);
  });

  it("refuses a later event of an execution whose first event it never stored (no orphan rows)", () => {
    const history = new SqliteHistory(temp.fresh());
    expect(() => history.append(ARN, events[1]!)).toThrow(/FOREIGN KEY/);
    expect(history.events(ARN)).toEqual([]);
    expect(history.executions()).toEqual([]);
  });

  it("survives close and reopen", () => {
    const dir = temp.dir();
    const first = temp.open(dir);
    for (const event of events) new SqliteHistory(first).append(ARN, event);
    first.close();
    const again = new SqliteHistory(temp.open(dir));
    expect(again.events(ARN)).toEqual(events);
    expect(again.executions()).toEqual([ARN]);
  });
});

describe("SqliteHistory: execution status", () => {
  const PARENT = "arn:aws:states:local:000000000000:execution:irflow-rb-incident:run-1";
  const PHASE = "arn:aws:states:local:000000000000:execution:irflow-rb-contain:inc-1-contain";
  const started = (parent?: string): HistoryEvent => ({
    id: 1,
    previousEventId: 0,
    timestamp: "2026-11-24T12:00:00.000Z",
    type: "ExecutionStarted",
    details: { input: {}, stateMachineArn: `arn:aws:states:local:000000000000:stateMachine:${parent ? "irflow-rb-contain" : "irflow-rb-incident"}`, ...(parent ? { parentExecutionArn: parent } : {}) },
  });
  const ended = (type: "ExecutionSucceeded" | "ExecutionFailed", at: string): HistoryEvent =>
    type === "ExecutionSucceeded" ? { id: 2, previousEventId: 1, timestamp: at, type, details: { output: {} } } : { id: 2, previousEventId: 1, timestamp: at, type, details: { error: "E", cause: "" } };

  it("keeps status, machine, start and stop; a child started after the link inherits its parent's incident", () => {
    const history = new SqliteHistory(temp.fresh());
    history.append(PARENT, started());
    history.linkIncident(PARENT, "inc-1");
    history.append(PHASE, started(PARENT));
    history.append(PHASE, ended("ExecutionFailed", "2026-11-24T12:00:02.500Z"));
    expect(history.list()).toEqual([
      { executionArn: PARENT, name: "run-1", stateMachineArn: expect.stringContaining("irflow-rb-incident"), machine: "irflow-rb-incident", status: "RUNNING", startedAt: "2026-11-24T12:00:00.000Z", incidentId: "inc-1" },
      { executionArn: PHASE, name: "inc-1-contain", stateMachineArn: expect.any(String), machine: "irflow-rb-contain", status: "FAILED", startedAt: "2026-11-24T12:00:00.000Z", stoppedAt: "2026-11-24T12:00:02.500Z", parentExecutionArn: PARENT, incidentId: "inc-1" },
    ]);
    expect(history.list({ status: "FAILED" }).map((e) => e.name)).toEqual(["inc-1-contain"]);
    expect(history.list({ incidentId: "inc-2" })).toEqual([]);
  });

  it("links a child that started before the incident was known, and never moves an execution to another incident", () => {
    const history = new SqliteHistory(temp.fresh());
    history.append(PARENT, started());
    history.append(PHASE, started(PARENT));
    history.linkIncident(PARENT, "inc-1");
    history.linkIncident(PARENT, "inc-2");
    expect(history.list({ incidentId: "inc-1" }).map((e) => e.name)).toEqual(["run-1", "inc-1-contain"]);
  });

  it("migration 4 gives executions recorded by an older irflow the status their history shows", () => {
    const dir = temp.dir();
    const old = EmbeddedDatabase.open({ dir }, MIGRATIONS.filter((m) => m.version < 4));
    old.db.prepare("INSERT INTO executions (execution_arn, first_event_at) VALUES (?, ?)").run(PHASE, "2026-11-24T12:00:00.000Z");
    for (const event of [started(PARENT), ended("ExecutionSucceeded", "2026-11-24T12:00:03.000Z")]) {
      old.db.prepare("INSERT INTO history_events VALUES (?, ?, ?, ?, ?, ?)").run(PHASE, event.id, event.previousEventId, event.timestamp, event.type, JSON.stringify(event.details));
    }
    old.close();
    const [summary] = new SqliteHistory(temp.open(dir)).list();
    expect(summary).toMatchObject({ machine: "irflow-rb-contain", status: "SUCCEEDED", stoppedAt: "2026-11-24T12:00:03.000Z", parentExecutionArn: PARENT });
  });
});
