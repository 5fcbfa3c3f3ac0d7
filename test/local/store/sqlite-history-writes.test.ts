import type { Statement } from "better-sqlite3";
import { describe, expect, it } from "vitest";
import type { HistoryEvent } from "../../../workflows/local/history.js";
import type { EmbeddedDatabase } from "../../../workflows/local/store/embedded-database.js";
import { SqliteHistory } from "../../../workflows/local/store/sqlite-history.js";
import { batchedHistoryOn, useTempDatabases } from "./support.js";
import { failingCommit } from "../../support/failing-commit.js";

const temp = useTempDatabases();

const PARENT = "arn:aws:states:eu-west-1:123456789012:execution:incident:run-1";
const CHILD = "arn:aws:states:eu-west-1:123456789012:execution:contain:run-1";
const LATE = "arn:aws:states:eu-west-1:123456789012:execution:notify:run-1";

const at = (second: number) => `2026-11-24T12:00:0${second}.000Z`;
const started = (parent?: string): HistoryEvent => ({ id: 1, previousEventId: 0, timestamp: at(0), type: "ExecutionStarted", details: { input: {}, stateMachineArn: "arn:aws:states:eu-west-1:123456789012:stateMachine:sm", ...(parent ? { parentExecutionArn: parent } : {}) } });
const entered = (id: number): HistoryEvent => ({ id, previousEventId: id - 1, timestamp: at(id % 10), type: "PassStateEntered", details: { name: `Step${id}`, input: { id } } });
const succeeded = (id: number): HistoryEvent => ({ id, previousEventId: id - 1, timestamp: at(id % 10), type: "ExecutionSucceeded", details: { output: { ok: true } } });

/** Counts, per SQL text, the runs and gets of the statements prepared on `database` from now on. */
function countStatements(database: EmbeddedDatabase): Map<string, number> {
  const counts = new Map<string, number>();
  const { db } = database;
  const prepare = db.prepare.bind(db);
  db.prepare = ((sql: string) => {
    const statement: Statement<unknown[], unknown> = prepare<unknown[], unknown>(sql);
    const key = sql.replace(/\s+/g, " ").trim();
    const methods = statement as unknown as Record<"run" | "get", (...args: unknown[]) => unknown>;
    for (const method of ["run", "get"] as const) {
      const original = methods[method].bind(statement);
      methods[method] = (...args: unknown[]) => {
        counts.set(key, (counts.get(key) ?? 0) + 1);
        return original(...args);
      };
    }
    return statement;
  }) as typeof db.prepare;
  return counts;
}

const matching = (counts: Map<string, number>, pattern: RegExp): number => [...counts].filter(([sql]) => pattern.test(sql)).reduce((sum, [, n]) => sum + n, 0);

const executionRows = (database: EmbeddedDatabase) => database.db.prepare("SELECT rowid, * FROM executions ORDER BY rowid").all();
const chunkRows = (database: EmbeddedDatabase) => database.db.prepare("SELECT execution_arn, first_id, last_id FROM history_chunks ORDER BY rowid").all();

describe("SqliteHistory writes", () => {
  it("reads an execution's last stored id only at its first write, and makes its row with its start in one statement", () => {
    const database = temp.fresh();
    const counts = countStatements(database);
    const history = new SqliteHistory(database);
    history.appendAll(PARENT, [started()]);
    history.appendAll(PARENT, [entered(2)]);
    history.appendAll(PARENT, [entered(3), entered(4)]);
    history.appendAll(PARENT, [succeeded(5)]);
    expect(matching(counts, /^SELECT coalesce\(\(SELECT last_id/)).toBe(1);
    expect(matching(counts, /^INSERT INTO executions/)).toBe(1);
    expect(matching(counts, /^UPDATE executions SET state_machine_arn/)).toBe(0);
    expect(matching(counts, /^INSERT INTO history_chunks/)).toBe(4);
    expect(history.events(PARENT)).toEqual([started(), entered(2), entered(3), entered(4), succeeded(5)]);
    // Its end forgets it: a write after that reads the id again (and is refused).
    expect(() => history.appendAll(PARENT, [succeeded(5)])).toThrow(`sqlite history: ${PARENT} already has event 5`);
    expect(matching(counts, /^SELECT coalesce\(\(SELECT last_id/)).toBe(2);
  });

  it("writes exactly the execution rows of a start, a link made before the start, a child and a late link", () => {
    const database = temp.fresh();
    const history = new SqliteHistory(database, { runnerId: "runner-1" });
    // Linked before it starts: the row exists, so the start updates it (the incident it was given stays).
    history.linkIncident(PARENT, "inc-1");
    history.appendAll(PARENT, [started(), entered(2)]);
    // A new row takes its parent's incident.
    history.appendAll(CHILD, [started(PARENT)]);
    history.appendAll(CHILD, [succeeded(2)]);
    history.appendAll(LATE, [{ ...started(), timestamp: at(3) }]);
    history.linkIncident(LATE, "inc-2");
    const machine = "arn:aws:states:eu-west-1:123456789012:stateMachine:sm";
    const linkedAt = (executionRows(database)[0] as { first_event_at: string }).first_event_at;
    expect(executionRows(database)).toEqual([
      { rowid: 1, execution_arn: PARENT, first_event_at: linkedAt, state_machine_arn: machine, parent_execution_arn: null, incident_id: "inc-1", status: "RUNNING", started_at: at(0), stopped_at: null, runner_id: "runner-1" },
      { rowid: 2, execution_arn: CHILD, first_event_at: at(0), state_machine_arn: machine, parent_execution_arn: PARENT, incident_id: "inc-1", status: "SUCCEEDED", started_at: at(0), stopped_at: at(2), runner_id: "runner-1" },
      { rowid: 3, execution_arn: LATE, first_event_at: at(3), state_machine_arn: machine, parent_execution_arn: null, incident_id: "inc-2", status: "RUNNING", started_at: at(3), stopped_at: null, runner_id: "runner-1" },
    ]);
    expect(chunkRows(database)).toEqual([
      { execution_arn: PARENT, first_id: 1, last_id: 2 },
      { execution_arn: CHILD, first_id: 1, last_id: 1 },
      { execution_arn: CHILD, first_id: 2, last_id: 2 },
      { execution_arn: LATE, first_id: 1, last_id: 1 },
    ]);
  });

  it("a write that throws leaves the last stored id where it was: the same ids can be written next", () => {
    const database = temp.fresh();
    const history = new SqliteHistory(database);
    history.appendAll(PARENT, [started(), entered(2)]);
    expect(() => history.appendAll(PARENT, [entered(3), { ...entered(4), id: 4.5 }])).toThrow(/event ids must be integers/);
    history.appendAll(PARENT, [entered(3)]);
    expect(history.events(PARENT)).toEqual([started(), entered(2), entered(3)]);
  });

  it("a COMMIT that fails after the write ran: BatchedHistory has it forgotten, so the next write reads what the file holds", async () => {
    const database = temp.fresh();
    const { group, history, batched } = batchedHistoryOn(database);
    batched.append(PARENT, started());
    await batched.drained(PARENT);

    batched.append(PARENT, entered(2));
    // The COMMIT itself fails, after PARENT's write ran in its savepoint.
    const orphan = failingCommit(database, group);
    await expect(batched.drained(PARENT)).rejects.toThrow(/FOREIGN KEY/);
    await expect(orphan).rejects.toThrow(/FOREIGN KEY/);
    expect(history.events(PARENT)).toEqual([started()]);
    // Had it kept id 2 as stored, this would be refused as a duplicate.
    history.appendAll(PARENT, [entered(2)]);
    expect(history.events(PARENT)).toEqual([started(), entered(2)]);
  });

  it("after another process aborts the execution, a write that reuses the abort's id is refused as a duplicate, and nothing of it is stored", () => {
    const dir = temp.dir();
    const database = temp.open(dir);
    const history = new SqliteHistory(database);
    history.appendAll(PARENT, [started(), entered(2)]);
    // `irflow incidents close` in another process, believing this one dead.
    const other = new SqliteHistory(temp.open(dir));
    expect(other.markAborted(PARENT, at(9), "runner gone")).toBe(true);

    expect(() => history.appendAll(PARENT, [entered(3), succeeded(4)])).toThrow(`sqlite history: ${PARENT} already has event 3`);
    const aborted = { id: 3, previousEventId: 2, timestamp: at(9), type: "ExecutionAborted", details: { cause: "runner gone" } };
    expect(history.events(PARENT)).toEqual([started(), entered(2), aborted]);
    expect(history.describe(PARENT)).toMatchObject({ status: "ABORTED", stoppedAt: at(9) });
    // Refused, it was forgotten: the next write reads the abort's id and is refused by the id check.
    expect(() => history.appendAll(PARENT, [entered(3)])).toThrow(`sqlite history: ${PARENT} already has event 3`);
    expect(history.events(PARENT)).toHaveLength(3);
  });

  it("an abort by the same instance forgets the execution", () => {
    const database = temp.fresh();
    const history = new SqliteHistory(database);
    history.appendAll(PARENT, [started()]);
    expect(history.markAborted(PARENT, at(9), "stopped")).toBe(true);
    expect(() => history.appendAll(PARENT, [entered(2)])).toThrow(`sqlite history: ${PARENT} already has event 2`);
  });

  it("other constraint failures of a chunk pass through as SQLite reports them", () => {
    const database = temp.fresh();
    const history = new SqliteHistory(database);
    // No executions row: the chunk's foreign key is refused at once.
    expect(() => history.appendAll(PARENT, [entered(2)])).toThrow(/FOREIGN KEY/);
    expect(chunkRows(database)).toEqual([]);
  });
});
