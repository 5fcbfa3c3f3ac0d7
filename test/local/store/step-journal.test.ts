import { describe, expect, it } from "vitest";
import type { StepKey, StepRecord } from "../../../functions/runtime/step-journal.js";
import { SqliteStepJournal } from "../../../workflows/local/store/sqlite-step-journal.js";
import { useTempDatabases } from "./support.js";

const temp = useTempDatabases();

const KEY: StepKey = { incidentId: "inc-1", stepId: "isolate", task: "ec2.isolate-instance" };

function record(overrides: Partial<StepRecord> = {}): StepRecord {
  return {
    task: "ec2.isolate-instance",
    mode: "run",
    at: "2026-11-24T12:00:00.000Z",
    executionId: "exec-a",
    summary: "isolated i-1",
    changes: [{ resource: "i-1", action: "ModifyInstanceAttribute groups", before: ["sg-a"], after: ["sg-q"] }],
    evidence: [{ kind: "snapshot", location: "snap-1", description: "root volume" }],
    undo: { task: "ec2.restore-groups", input: { instanceId: "i-1", groups: ["sg-a"] } },
    digest: "d1",
    output: { isolated: true },
    ...overrides,
  } as StepRecord;
}

describe("SqliteStepJournal", () => {
  it("finds nothing before a record, then the record as stored", async () => {
    const journal = new SqliteStepJournal(temp.fresh());
    await expect(journal.find(KEY, "run")).resolves.toBeUndefined();
    await expect(journal.record(KEY, record())).resolves.toEqual(record());
    await expect(journal.find(KEY, "run")).resolves.toEqual(record());
    await expect(journal.find(KEY, "plan")).resolves.toBeUndefined();
  });

  it("lets the first run record win: a later one gets the first back", async () => {
    const journal = new SqliteStepJournal(temp.fresh());
    await journal.record(KEY, record());
    const second = await journal.record(KEY, record({ executionId: "exec-b", summary: "again" }));
    expect(second).toEqual(record());
    await expect(journal.find(KEY, "run")).resolves.toMatchObject({ executionId: "exec-a" });
  });

  it("overwrites plan records", async () => {
    const journal = new SqliteStepJournal(temp.fresh());
    await journal.record(KEY, record({ mode: "plan", summary: "v1" }));
    await expect(journal.record(KEY, record({ mode: "plan", summary: "v2" }))).resolves.toMatchObject({ summary: "v2" });
    await expect(journal.find(KEY, "plan")).resolves.toMatchObject({ summary: "v2" });
    expect(journal.forIncident("inc-1")).toHaveLength(1);
  });

  it("keys by incident, step, task and item (an absent item is its own key)", async () => {
    const journal = new SqliteStepJournal(temp.fresh());
    const keys: StepKey[] = [KEY, { ...KEY, item: 0 }, { ...KEY, item: 1 }, { ...KEY, task: "audit.record-failure" }, { ...KEY, stepId: "other" }, { ...KEY, incidentId: "inc-2" }];
    for (const [i, key] of keys.entries()) await journal.record(key, record({ summary: `s${i}` }));
    for (const [i, key] of keys.entries()) await expect(journal.find(key, "run")).resolves.toMatchObject({ summary: `s${i}` });
    expect(journal.forIncident("inc-1").map((r) => r.key)).toEqual(keys.slice(0, 5));
  });

  it("survives close and reopen", async () => {
    const dir = temp.dir();
    const first = temp.open(dir);
    await new SqliteStepJournal(first).record(KEY, record());
    first.close();
    await expect(new SqliteStepJournal(temp.open(dir)).find(KEY, "run")).resolves.toEqual(record());
  });
});
