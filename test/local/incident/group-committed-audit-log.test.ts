import { describe, expect, it } from "vitest";
import { verifyLinks } from "../../../functions/audit/verify-chain.js";
import type { StepRecord } from "../../../functions/runtime/step-journal.js";
import { GroupCommittedAuditLog } from "../../../workflows/local/incident/group-committed-audit-log.js";
import { groupCommitOf } from "../../../workflows/local/store/group-commit.js";
import { SqliteAuditLog } from "../../../workflows/local/store/sqlite-audit-log.js";
import { SqliteStepJournal } from "../../../workflows/local/store/sqlite-step-journal.js";
import { useTempDatabases } from "../store/support.js";

const temp = useTempDatabases();
const entry = (n: number) => ({ kind: "test.entry", actor: "system:test", at: `2026-11-24T12:00:${String(n).padStart(2, "0")}.000Z`, body: { n } });

describe("group-committed embedded stores", () => {
  it("chains concurrent appends of several incidents in call order, one commit for the turn, durable when they resolve", async () => {
    const dir = temp.dir();
    const database = temp.open(dir);
    const other = new SqliteAuditLog(temp.open(dir));
    const log = new GroupCommittedAuditLog(new SqliteAuditLog(database), groupCommitOf(database));

    const appends = Array.from({ length: 30 }, (_, n) => log.append(n % 2 === 0 ? "inc-a" : "inc-b", entry(n)));
    expect(other.entriesNow("inc-a")).toEqual([]);
    await Promise.all(appends);

    for (const incidentId of ["inc-a", "inc-b"]) {
      const stored = other.entriesNow(incidentId);
      expect(stored.map((e) => e.seq)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
      expect(stored.map((e) => (e.body as { n: number }).n)).toEqual(stored.map((_, i) => i * 2 + (incidentId === "inc-a" ? 0 : 1)));
      expect(verifyLinks(incidentId, stored).ok).toBe(true);
    }
  });

  it("a read of an incident sees the appends already asked for, before their turn ends", async () => {
    const database = temp.fresh();
    const log = new GroupCommittedAuditLog(new SqliteAuditLog(database), groupCommitOf(database));
    const appended = log.append("inc-1", entry(1));
    expect(log.entriesNow("inc-1").map((e) => e.seq)).toEqual([1]);
    expect(log.incidentIds()).toEqual(["inc-1"]);
    await appended;
    expect(log.entriesNow("inc-1")).toHaveLength(1);
  });

  it("an append refused by the database fails alone; the others of its batch are kept", async () => {
    const database = temp.fresh();
    const log = new GroupCommittedAuditLog(new SqliteAuditLog(database), groupCommitOf(database));
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const results = await Promise.allSettled([log.append("inc-1", entry(1)), log.append("inc-1", { ...entry(2), body: cyclic }), log.append("inc-1", entry(3))]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    const stored = log.entriesNow("inc-1");
    expect(stored.map((e) => (e.body as { n: number }).n)).toEqual([1, 3]);
    expect(verifyLinks("inc-1", stored).ok).toBe(true);
  });

  it("a journal find sees a run record whose commit is still queued (no second run of the step)", async () => {
    const database = temp.fresh();
    const journal = new SqliteStepJournal(database);
    const key = { incidentId: "inc-1", stepId: "contain/isolate", task: "ec2.isolate-instance" };
    const record = { task: key.task, mode: "run", at: "2026-11-24T12:00:00.000Z", executionId: "exec-a", summary: "isolated", changes: [], evidence: [], digest: "d", output: {} } as unknown as StepRecord;
    const recorded = journal.record(key, record);
    await expect(journal.find(key, "run")).resolves.toMatchObject({ executionId: "exec-a" });
    await expect(recorded).resolves.toMatchObject({ executionId: "exec-a" });
    // A second record of the same run, queued behind the first, gets the first back.
    await expect(journal.record(key, { ...record, executionId: "exec-b" })).resolves.toMatchObject({ executionId: "exec-a" });
  });
});
