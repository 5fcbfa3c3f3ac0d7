/** The runner's audit log keeps the incidents it opened in memory, and the record store reuses projections: both must read as the store does. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { KIND } from "../../../functions/audit/audit-kinds.js";
import { projectRecord } from "../../../functions/audit/incident-record.js";
import { verifyLinks } from "../../../functions/audit/verify-chain.js";
import type { IncidentStore } from "../../../functions/detect/incident-store.js";
import { closeLocally } from "../../../workflows/local/incident/close-locally.js";
import { GroupCommittedAuditLog } from "../../../workflows/local/incident/group-committed-audit-log.js";
import { AuditedIncidentRecords } from "../../../workflows/local/incident/incident-record.js";
import type { EmbeddedDatabase } from "../../../workflows/local/store/embedded-database.js";
import { groupCommitOf } from "../../../workflows/local/store/group-commit.js";
import { SqliteAuditLog } from "../../../workflows/local/store/sqlite-audit-log.js";
import { useTempDatabases } from "../store/support.js";
import { tempDir } from "../../support/temp-dir.js";

const temp = useTempDatabases();
const ID = "inc-20261124-cache0000001";
const at = (n: number) => new Date(Date.UTC(2026, 10, 24, 12, 0, n)).toISOString();
const entry = (n: number, actor = "system:test") => ({ kind: "test.entry", actor, at: at(n), body: { n, nested: { b: [n, "x"], a: null } } });
const plain = (entries: readonly object[]) => entries.map((e) => ({ ...e }));

function logs() {
  const dir = temp.dir();
  const database = temp.open(dir);
  const inner = new SqliteAuditLog(database);
  const log = new GroupCommittedAuditLog(inner, groupCommitOf(database));
  // Another process: its own connection to the same file.
  const other = new SqliteAuditLog(temp.open(dir));
  return { database, inner, log, other };
}

describe("GroupCommittedAuditLog: an incident opened here is read back from memory", () => {
  it("reads what the store holds (same entries, verifying) without reading the entries back", async () => {
    const { inner, log, other } = logs();
    await Promise.all([1, 2, 3].map((n) => log.append(ID, entry(n))));
    const fromStore = vi.spyOn(inner, "entriesNow");
    const read = log.entriesNow(ID);
    expect(fromStore).not.toHaveBeenCalled();
    expect(plain(read)).toEqual(plain(other.entriesNow(ID)));
    expect(verifyLinks(ID, read).ok).toBe(true);
    // Shared with later readers, so frozen: a reader cannot change the log through it.
    expect(() => {
      (read[0]!.body as { n: number }).n = 99;
    }).toThrow(TypeError);
    expect(log.entriesNow(ID)[0]!.body).toMatchObject({ n: 1 });
    // Frozen at every depth (sealing freezes the copy as it builds it), and the caller's input stays its own.
    const body = read[0]!.body as { nested: { b: unknown[] } };
    expect(Object.isFrozen(body.nested) && Object.isFrozen(body.nested.b)).toBe(true);
    expect(() => body.nested.b.push(1)).toThrow(TypeError);
    const input = entry(4);
    await log.append(ID, input);
    input.body.nested.b.push("mine");
    expect(log.entriesNow(ID)[3]!.body).toEqual({ n: 4, nested: { a: null, b: [4, "x"] } });
  });

  it("sees what another process appended (only the missing entries are read), and goes on chaining after it", async () => {
    const { inner, log, other } = logs();
    await log.append(ID, entry(1));
    other.appendNow(ID, entry(2, "system:other"));
    other.appendNow(ID, entry(3, "system:other"));
    const fromStore = vi.spyOn(inner, "entriesNow");
    const after = vi.spyOn(inner, "entriesAfterNow");
    expect(log.entriesNow(ID).map((e) => [e.seq, e.actor])).toEqual([
      [1, "system:test"],
      [2, "system:other"],
      [3, "system:other"],
    ]);
    expect(after).toHaveBeenCalledWith(ID, 1);
    expect(fromStore).not.toHaveBeenCalled();
    await log.append(ID, entry(4));
    expect(plain(log.entriesNow(ID))).toEqual(plain(other.entriesNow(ID)));
    expect(fromStore).not.toHaveBeenCalled();
    expect(verifyLinks(ID, log.entriesNow(ID)).ok).toBe(true);
  });

  it("an append landing after another process's (unseen) one drops the copy: the next read is the store's", async () => {
    const { inner, log, other } = logs();
    await log.append(ID, entry(1));
    other.appendNow(ID, entry(2, "system:other"));
    await log.append(ID, entry(3));
    expect(log.keptIncidents).toBe(0);
    const fromStore = vi.spyOn(inner, "entriesNow");
    expect(log.entriesNow(ID).map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(fromStore).toHaveBeenCalledTimes(1);
    expect(plain(log.entriesNow(ID))).toEqual(plain(other.entriesNow(ID)));
  });

  it("a head that does not follow the copy (its last row removed or re-sealed) reads the store as it is", async () => {
    const { database, log, other } = logs();
    await Promise.all([1, 2, 3].map((n) => log.append(ID, entry(n))));
    database.db.prepare("DELETE FROM audit_log WHERE incident_id = ? AND seq = 3").run(ID);
    expect(log.entriesNow(ID).map((e) => e.seq)).toEqual([1, 2]);
    expect(log.keptIncidents).toBe(0);
    const logs2 = logs();
    await Promise.all([1, 2].map((n) => logs2.log.append(ID, entry(n))));
    logs2.database.db.prepare("UPDATE audit_log SET hash = ? WHERE incident_id = ? AND seq = 2").run("f".repeat(64), ID);
    expect(logs2.log.entriesNow(ID).at(-1)!.hash).toBe("f".repeat(64));
    expect(logs2.log.keptIncidents).toBe(0);
    void other;
  });

  it("an inserted row that does not chain onto the copy is not taken in: the store is read as it is", async () => {
    const { database, log } = logs();
    await log.append(ID, entry(1));
    database.db.prepare("INSERT INTO audit_log (incident_id, seq, at, kind, actor, body, prev_hash, hash) VALUES (?, 2, ?, 'test.entry', 'mallory', '{}', ?, ?)").run(ID, at(2), "e".repeat(64), "d".repeat(64));
    expect(log.entriesNow(ID).map((e) => [e.seq, e.actor])).toEqual([
      [1, "system:test"],
      [2, "mallory"],
    ]);
    expect(log.keptIncidents).toBe(0);
    expect(verifyLinks(ID, log.entriesNow(ID)).ok).toBe(false);
  });

  it("keeps only incidents opened here, and forgets one when told", async () => {
    const { log, other } = logs();
    other.appendNow("inc-elsewhere", entry(1));
    await log.append("inc-elsewhere", entry(2));
    await log.append(ID, entry(1));
    expect(log.keptIncidents).toBe(1);
    log.forget(ID);
    expect(log.keptIncidents).toBe(0);
    expect(log.entriesNow(ID).map((e) => e.seq)).toEqual([1]);
    // Later appends of a forgotten incident are not kept again (it is closed here).
    await log.append(ID, entry(2));
    expect(log.keptIncidents).toBe(0);
    expect(log.entriesNow("inc-elsewhere").map((e) => e.seq)).toEqual([1, 2]);
  });
});

describe("AuditedIncidentRecords: a projection is reused while the log is unchanged", () => {
  it("the same record until an entry is added; then the projection of the new log", async () => {
    const records = new AuditedIncidentRecords(logs().log);
    await records.addMilestone(ID, { name: "detected", at: at(1) });
    const first = records.get(ID)!;
    expect(records.get(ID)).toBe(first);
    await records.addMilestone(ID, { name: "contained", at: at(2) });
    const second = records.get(ID)!;
    expect(second).not.toBe(first);
    expect(second).toEqual(projectRecord(ID, records.log.entriesNow(ID)));
    expect(second.milestones.map((m) => m.name)).toEqual(["detected", "contained"]);
  });

  it("a row edited in the store (same seq and hash, another body or actor) is projected again, not served from before", async () => {
    const database: EmbeddedDatabase = temp.fresh();
    const log = new SqliteAuditLog(database);
    const records = new AuditedIncidentRecords(log);
    log.appendNow(ID, { kind: KIND.milestone, actor: "system:irflow-local", at: at(1), body: { name: "detected" } });
    expect(records.get(ID)!.milestones.map((m) => m.name)).toEqual(["detected"]);
    database.db.prepare("UPDATE audit_log SET body = ? WHERE incident_id = ? AND seq = 1").run('{"name":"contained"}', ID);
    expect(records.get(ID)!.milestones.map((m) => m.name)).toEqual(["contained"]);
    database.db.prepare("UPDATE audit_log SET actor = 'mallory' WHERE incident_id = ? AND seq = 1").run(ID);
    expect(records.get(ID)!.timeline[0]!.actor).toBe("mallory");
  });

  it("a local close projects once, writes the report from the log up to the close, and lets the incident go", async () => {
    const { log, other } = logs();
    const records = new AuditedIncidentRecords(log);
    const reportsDirectory = tempDir("irflow-cache-reports-");
    await records.append(ID, { kind: KIND.incidentOpened, actor: "function:detect.open-incident", at: at(1), body: { runbook: { id: "ssh-rdp-brute-force", revision: "a".repeat(64) }, executionArn: "arn:x", document: { incidentId: ID } } });
    await records.addMilestone(ID, { name: "detected", at: at(1) });
    // Only its close matters here: the store of open incidents is told last.
    const incidents = { close: () => Promise.resolve() } as unknown as IncidentStore;
    const projections = vi.spyOn(records, "get");
    const closed = await closeLocally({ records, incidents: incidents, reportsDirectory }, ID, { status: "resolved", document: { incidentId: ID }, actor: "system:irflow-local" }, new Date(at(5)));
    expect(closed.status).toBe("resolved");
    expect(projections).toHaveBeenCalledTimes(1);
    expect(log.keptIncidents).toBe(0);
    const stored = other.entriesNow(ID);
    expect(stored.map((e) => e.kind)).toEqual([KIND.incidentOpened, KIND.milestone, KIND.incidentClosed, KIND.milestone, KIND.reportWritten, KIND.reportWritten]);
    expect(projectRecord(ID, stored).reports.map((r) => r.coversSeq)).toEqual([4, 4]);
    // A second close finds the first in the log: nothing appended but the reports again.
    await closeLocally({ records, incidents: incidents, reportsDirectory }, ID, { status: "aborted", document: {}, actor: "someone" }, new Date(at(6)));
    const again = other.entriesNow(ID);
    expect(again.filter((e) => e.kind === KIND.incidentClosed)).toHaveLength(1);
    expect(projectRecord(ID, again).closed?.status).toBe("resolved");
  });
});

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const step of cleanup.splice(0)) step();
});
