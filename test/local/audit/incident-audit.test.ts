import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { S3Client } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { entryHash as entryHashOf } from "../../../functions/audit/audit-entry.js";
import { S3EvidenceReader } from "../../../functions/audit/s3-evidence-reader.js";
import { verifyChain } from "../../../functions/audit/verify-chain.js";
import { MemoryStepJournal } from "../../../functions/runtime/step-journal.js";
import { AuditedIncidentRecords } from "../../../workflows/local/incident/incident-record.js";
import { DATABASE_FILE, EmbeddedDatabase } from "../../../workflows/local/store/embedded-database.js";
import { SqliteAuditLog } from "../../../workflows/local/store/sqlite-audit-log.js";
import { runnerFor, scenario } from "../incident/support.js";
import { useTempDatabases } from "../store/support.js";

const temp = useTempDatabases();
const PROJECT_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const FIXTURE = fileURLToPath(new URL("./fixtures/append.ts", import.meta.url));

/** One full incident (ec2-instance-compromise, auto-approved) with its audit log in a fresh embedded database. */
async function fullIncident() {
  const dir = temp.dir();
  const database = temp.open(dir);
  const log = new SqliteAuditLog(database);
  const s = await scenario("ec2-instance-compromise");
  const journal = new MemoryStepJournal();
  const runner = await runnerFor(s, { audit: log, journal });
  const result = await runner.runIncident({ runbookId: "ec2-instance-compromise", event: s.event, approvals: "auto" });
  return { dir, database, log, s, runner, result, journal, incidentId: result.incidentId! };
}

describe("a full local incident, projected from its audit log", () => {
  it("holds every change, approval and evidence item the run produced, milestones in order, and verifies", async () => {
    const { database, log, s, runner, result, journal, incidentId, dir } = await fullIncident();
    expect(["resolved", "failed"]).toContain(result.status);
    const record = runner.records.get(incidentId)!;

    // The trigger, the runbook revision that ran, and the opened document.
    const manifest = JSON.parse(await readFile(join(PROJECT_ROOT, "workflows/generated/manifest.json"), "utf8")) as { runbooks: { id: string; revision: string }[] };
    expect(record.opened?.runbook).toEqual({ id: "ec2-instance-compromise", revision: manifest.runbooks.find((r) => r.id === "ec2-instance-compromise")!.revision });
    expect(record.opened?.event).toEqual(JSON.parse(JSON.stringify(s.event)));

    // Every run the journal kept is in the record, with its changes, evidence and undo.
    const runs = journal.all().filter((r) => r.mode === "run" && r.executionId !== "");
    const recordedRuns = record.steps.filter((step) => step.record.mode === "run").map((step) => step.record);
    for (const run of runs.filter((r) => !r.task.startsWith("detect.open"))) expect(recordedRuns).toContainEqual(JSON.parse(JSON.stringify(run)));
    const changes = recordedRuns.flatMap((r) => r.changes.map((c) => c.action));
    expect(changes).toEqual(expect.arrayContaining(runs.flatMap((r) => r.changes.map((c) => c.action))));
    expect(recordedRuns.find((r) => r.task === "ec2.isolate-instance")?.undo?.task).toBe("ec2.restore-security-groups");
    const evidence = recordedRuns.flatMap((r) => r.evidence);
    expect(evidence.filter((e) => e.kind === "ec2-instance-disk").map((e) => e.location)).toEqual([expect.stringMatching(/^snap-/), expect.stringMatching(/^snap-/)]);
    expect(evidence.length).toBe(runs.flatMap((r) => r.evidence).length);

    // Every approval, with who, when, why and the plan digest the plan state recorded.
    const plans = journal.all().filter((r) => r.mode === "plan");
    expect(record.approvals.map((a) => a.approval.stepId)).toEqual(expect.arrayContaining(["contain/isolate-the-instance", "contain/revoke-the-role-s-sessions"]));
    for (const a of record.approvals) {
      // An approved step then ran: its run record is in the record too.
      expect(record.steps.some((step) => step.stepId === a.approval.stepId && step.record.mode === "run")).toBe(true);
      expect(a.decision).toMatchObject({ decision: "approved", by: ["irflow-local (auto-approve)"], reason: expect.any(String), decidedAt: expect.any(String) });
      expect(a.approval.planDigests.length).toBeGreaterThan(0);
      for (const digest of a.approval.planDigests) expect(plans.map((p) => p.digest)).toContain(digest);
    }

    // Milestones in the order of the phases, each once, one per phase that succeeded; failures when a phase failed.
    const reached = { contain: "contained", eradicate: "eradicated", recover: "recovered" } as Record<string, string>;
    const succeeded = record.executions.filter((e) => e.status === "SUCCEEDED" && reached[e.phase]).map((e) => reached[e.phase]);
    expect(record.milestones.map((m) => m.name)).toEqual(["detected", ...succeeded, "closed"]);
    expect(record.milestones.map((m) => m.seq)).toEqual([...record.milestones.map((m) => m.seq)].sort((a, b) => a - b));
    expect(record.executions.slice(0, 2)).toEqual([expect.objectContaining({ phase: "detect", status: "SUCCEEDED" }), expect.objectContaining({ phase: "contain", status: "SUCCEEDED" })]);
    expect(record.executions.at(-1)).toMatchObject({ phase: "post-incident", status: "SUCCEEDED" });
    const failedPhases = record.executions.filter((e) => e.status === "FAILED");
    expect(record.failures.length > 0).toBe(failedPhases.length > 0);
    for (const failure of record.failures) expect(failedPhases.map((e) => e.phase)).toContain(failure.stepId.split("/")[0]);
    expect(record.closed?.status).toBe(result.status);
    expect(record.reports.map((r) => r.format)).toEqual(["md", "html"]);
    expect(record.unreadable).toEqual([]);

    // The report on disk is what the chain proves: its hash is in the log.
    const md = await readFile(result.reportLocation!, "utf8");
    expect(record.reports[0]!.sha256).toBe((await import("node:crypto")).createHash("sha256").update(md).digest("hex"));

    const verdict = await verifyChain(incidentId, log.entriesNow(incidentId), { evidence: new S3EvidenceReader(s.account.clientProvider()(S3Client)) });
    expect(verdict).toMatchObject({ ok: true, problems: [] });

    // Durable: another connection (as the CLI in another process) projects the same record.
    database.close();
    const again = EmbeddedDatabase.open({ path: join(dir, DATABASE_FILE) });
    try {
      expect(new AuditedIncidentRecords(new SqliteAuditLog(again)).get(incidentId)).toEqual(record);
    } finally {
      again.close();
    }
  });
});

describe("tampering with the embedded audit log is detected and located", () => {
  const tamper = async (sql: (db: EmbeddedDatabase["db"], id: string) => void) => {
    const { database, log, incidentId } = await fullIncident();
    const before = log.entriesNow(incidentId).length;
    sql(database.db, incidentId);
    return { verdict: await verifyChain(incidentId, log.entriesNow(incidentId)), before };
  };

  it("an edited entry (an approval's approver changed)", async () => {
    const { verdict } = await tamper((db, id) => {
      const row = db.prepare<[string], { seq: number; body: string }>("SELECT seq, body FROM audit_log WHERE incident_id = ? AND kind = 'approval.approved' ORDER BY seq LIMIT 1").get(id)!;
      db.prepare("UPDATE audit_log SET actor = 'mallory' WHERE incident_id = ? AND seq = ?").run(id, row.seq);
    });
    expect(verdict.ok).toBe(false);
    expect(verdict.problems).toEqual([expect.objectContaining({ kind: "edited", message: expect.stringMatching(/^entry \d+ \(approval\.approved\) does not match its hash/) })]);
  });

  it("a removed entry (the isolation's run record)", async () => {
    let seq = 0;
    const { verdict } = await tamper((db, id) => {
      seq = db.prepare<[string], { seq: number }>("SELECT seq FROM audit_log WHERE incident_id = ? AND kind = 'step.ran' AND actor = 'function:ec2.isolate-instance'").get(id)!.seq;
      db.prepare("DELETE FROM audit_log WHERE incident_id = ? AND seq = ?").run(id, seq);
    });
    expect(verdict.problems).toEqual([{ seq, kind: "removed", message: `entry ${seq} was removed` }]);
  });

  it("reordered entries (two rows' seq swapped)", async () => {
    const { verdict } = await tamper((db, id) => {
      db.prepare("UPDATE audit_log SET seq = 1000000 WHERE incident_id = ? AND seq = 5").run(id);
      db.prepare("UPDATE audit_log SET seq = 5 WHERE incident_id = ? AND seq = 6").run(id);
      db.prepare("UPDATE audit_log SET seq = 6 WHERE incident_id = ? AND seq = 1000000").run(id);
    });
    expect(verdict.problems).toEqual([
      expect.objectContaining({ seq: 5, kind: "reordered", message: expect.stringContaining("was written as seq 6") }),
      expect.objectContaining({ seq: 6, kind: "reordered", message: expect.stringContaining("was written as seq 5") }),
    ]);
  });

  it("an inserted entry (a forged approval, validly chained, later rows renumbered)", async () => {
    const { verdict } = await tamper((db, id) => {
      const prev = db.prepare<[string], { hash: string }>("SELECT hash FROM audit_log WHERE incident_id = ? AND seq = 3").get(id)!;
      db.prepare("UPDATE audit_log SET seq = seq + 100000 WHERE incident_id = ? AND seq >= 4").run(id);
      db.prepare("UPDATE audit_log SET seq = seq - 100000 + 1 WHERE incident_id = ? AND seq >= 100000").run(id);
      const forged = { incidentId: id, seq: 4, at: "2026-11-24T12:00:00.000Z", kind: "approval.approved", actor: "mallory", body: { approvalId: "apr-forged", stepId: "contain/isolate-the-instance" }, prevHash: prev.hash };
      const hash = entryHashOf(forged);
      db.prepare("INSERT INTO audit_log (incident_id, seq, at, kind, actor, body, prev_hash, hash) VALUES (?, 4, ?, ?, ?, ?, ?, ?)").run(id, forged.at, forged.kind, forged.actor, JSON.stringify(forged.body), forged.prevHash, hash);
    });
    expect(verdict.problems).toEqual([expect.objectContaining({ seq: 4, kind: "inserted", message: expect.stringContaining("entry 4 (approval.approved) was inserted") })]);
  });
});

describe("SqliteAuditLog across processes", () => {
  it("three processes appending to one incident at once build one unbroken chain", async () => {
    const dir = temp.dir();
    temp.open(dir).close();
    const path = join(dir, DATABASE_FILE);
    const id = "inc-20261124-0123456789ab";
    await Promise.all(
      [0, 1, 2].map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            const child = spawn(process.execPath, ["--import", "tsx", FIXTURE, path, id, String(worker), "60"], { cwd: PROJECT_ROOT, stdio: "pipe" });
            let stderr = "";
            child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
            child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`worker ${worker} exited ${code}: ${stderr}`))));
          }),
      ),
    );
    const log = new SqliteAuditLog(temp.open(dir));
    const entries = log.entriesNow(id);
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 180 }, (_, i) => i + 1));
    expect(new Set(entries.map((e) => e.actor))).toEqual(new Set(["worker-0", "worker-1", "worker-2"]));
    expect((await verifyChain(id, entries)).ok).toBe(true);
  }, 30_000);
});
