import { describe, expect, it } from "vitest";
import type { HistoryEvent } from "../../../workflows/local/history.js";
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
