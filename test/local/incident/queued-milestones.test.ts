import { describe, expect, it } from "vitest";
import { KIND } from "../../../functions/audit/audit-kinds.js";
import { GroupCommittedAuditLog } from "../../../workflows/local/incident/group-committed-audit-log.js";
import { AuditedIncidentRecords } from "../../../workflows/local/incident/incident-record.js";
import { groupCommitOf } from "../../../workflows/local/store/group-commit.js";
import { SqliteAuditLog } from "../../../workflows/local/store/sqlite-audit-log.js";
import { useTempDatabases } from "../store/support.js";

const temp = useTempDatabases();
const entry = (n: number) => ({ kind: "test.entry", actor: "system:test", at: `2026-11-24T12:00:${String(n).padStart(2, "0")}.000Z`, body: { n } });
const AT = "2026-11-24T12:00:00.000Z";

function open() {
  const database = temp.fresh();
  const group = groupCommitOf(database);
  const log = new GroupCommittedAuditLog(new SqliteAuditLog(database), group);
  return { database, group, log };
}

describe("appends still queued, read without committing them", () => {
  it("lists the stored entries and the queued inputs in call order, and leaves the queue for its turn", async () => {
    const { group, log } = open();
    await log.append("inc-1", entry(1));
    const queued = [log.append("inc-1", entry(2)), log.append("inc-2", entry(3)), log.append("inc-1", entry(4))];

    const seen = log.entriesAndQueuedNow("inc-1");
    expect(seen.entries.map((e) => e.seq)).toEqual([1]);
    expect(seen.queued.map((q) => q.body)).toEqual([{ n: 2 }, { n: 4 }]);
    expect(group.pending).toBe(true);

    await Promise.all(queued);
    expect(log.entriesAndQueuedNow("inc-1").queued).toEqual([]);
    expect(log.entriesAndQueuedNow("inc-1").entries.map((e) => e.body)).toEqual([{ n: 1 }, { n: 2 }, { n: 4 }]);
  });

  it("an append that failed is no longer queued", async () => {
    const { log } = open();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const results = await Promise.allSettled([log.append("inc-1", { ...entry(1), body: cyclic }), log.append("inc-1", entry(2))]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "fulfilled"]);
    expect(log.entriesAndQueuedNow("inc-1")).toMatchObject({ queued: [], entries: [{ seq: 1, body: { n: 2 } }] });
  });

  it("the same input appended twice is queued twice, and unqueued once per run", async () => {
    const { log } = open();
    const same = entry(1);
    const both = [log.append("inc-1", same), log.append("inc-1", same)];
    expect(log.entriesAndQueuedNow("inc-1").queued).toHaveLength(2);
    await Promise.all(both);
    expect(log.entriesAndQueuedNow("inc-1")).toMatchObject({ queued: [], entries: [{ seq: 1 }, { seq: 2 }] });
  });
});

describe("a first milestone of an incident with appends queued", () => {
  it("does not commit the queue mid-turn, and the milestone follows the queued entries", async () => {
    const { group, log } = open();
    const records = new AuditedIncidentRecords(log);
    const opened = records.append("inc-1", entry(1));
    const other = records.append("inc-2", entry(2));
    const detected = records.addMilestone("inc-1", { name: "detected", at: AT });
    expect(group.pending).toBe(true);
    await Promise.all([opened, other, detected]);
    expect(log.entriesNow("inc-1").map((e) => e.kind)).toEqual(["test.entry", KIND.milestone]);
    expect(records.get("inc-1")?.milestones.map((m) => m.name)).toEqual(["detected"]);
  });

  it("a milestone already queued by another writer of the log is not appended again", async () => {
    const { log } = open();
    const queued = log.append("inc-1", { kind: KIND.milestone, actor: "system:test", at: AT, body: { name: "detected" } });
    const records = new AuditedIncidentRecords(log);
    await Promise.all([queued, records.addMilestone("inc-1", { name: "detected", at: AT })]);
    expect(log.entriesNow("inc-1").map((e) => e.kind)).toEqual([KIND.milestone]);
  });

  it("a milestone in the stored log is not appended again by a new store", async () => {
    const { log } = open();
    await new AuditedIncidentRecords(log).addMilestone("inc-1", { name: "detected", at: AT });
    await new AuditedIncidentRecords(log).addMilestone("inc-1", { name: "detected", at: AT });
    expect(log.entriesNow("inc-1")).toHaveLength(1);
  });
});
