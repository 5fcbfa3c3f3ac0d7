import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { projectRecord } from "../../../functions/audit/incident-record.js";
import { openLocalRuntime, type LocalRuntime } from "../../../workflows/local/local-runtime.js";
import { EmbeddedDatabase } from "../../../workflows/local/store/embedded-database.js";
import { SqliteAuditLog } from "../../../workflows/local/store/sqlite-audit-log.js";
import { SqliteHistory } from "../../../workflows/local/store/sqlite-history.js";
import { SqliteIncidentStore } from "../../../workflows/local/store/sqlite-incident-store.js";
import { SqliteStepJournal } from "../../../workflows/local/store/sqlite-step-journal.js";
import { NOW, scenario } from "./support.js";
import { tempDir as makeTempDir } from "../../support/temp-dir.js";

const RUNBOOK = "ssh-rdp-brute-force";
const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const step of cleanup.splice(0).reverse()) step();
});

async function runtimeOn(dir: string, account: Awaited<ReturnType<typeof scenario>>["account"]): Promise<LocalRuntime> {
  const reportsDirectory = makeTempDir("irflow-reports-");
  const runtime = await openLocalRuntime({ dir, account, runbookIds: [RUNBOOK], clock: { now: () => NOW }, retryDelayScale: 0, reportsDirectory, approvalSweepMs: 0 });
  cleanup.push(() => runtime.close());
  return runtime;
}

/** Removed when the test finishes, after the afterEach above has closed what uses it. */
const tempDir = (): string => makeTempDir("irflow-runtime-");

function secondConnection(dir: string): EmbeddedDatabase {
  const database = EmbeddedDatabase.open({ dir });
  cleanup.push(() => database.close());
  return database;
}

const changes = (calls: { service: string; command: string }[]) => calls.map((c) => `${c.service}:${c.command}`);

describe("the runner on the embedded database", () => {
  it("keeps the incident, its step records and every execution's history where a second connection sees them, and closes the incident", async () => {
    const dir = tempDir();
    const s = await scenario(RUNBOOK);
    const { runner } = await runtimeOn(dir, s.account);
    const result = await runner.runIncident({ runbookId: RUNBOOK, event: s.event, approvals: "auto" });
    expect(result.status).toBe("resolved");

    const other = secondConnection(dir);
    const incident = new SqliteIncidentStore(other).incident(result.incidentId!);
    expect(incident).toMatchObject({ status: "closed", closedAt: NOW.toISOString() });
    const runs = new SqliteStepJournal(other).forIncident(result.incidentId!).filter((r) => r.record.mode === "run");
    expect(runs.map((r) => r.key.stepId)).toContain("contain/block-the-attacking-address");

    const history = new SqliteHistory(other);
    const executions = history.list({ incidentId: result.incidentId! });
    expect(executions.map((e) => e.machine)).toEqual(["incident", "detect", "contain", "eradicate", "recover", "post-incident"].map((m) => `irflow-${RUNBOOK}-${m}`));
    expect(executions.every((e) => e.status === "SUCCEEDED" && e.stoppedAt !== undefined)).toBe(true);
    expect(history.events(result.executionArn).at(-1)?.type).toBe("ExecutionSucceeded");
  });

  it("a duplicate while the incident is open joins it with no second change; after the close a new finding opens a new incident", async () => {
    const dir = tempDir();
    const s = await scenario(RUNBOOK);
    const { runner } = await runtimeOn(dir, s.account);
    const [first, second] = await Promise.all([
      runner.runIncident({ runbookId: RUNBOOK, event: s.event, approvals: "auto" }),
      runner.runIncident({ runbookId: RUNBOOK, event: { ...s.event, id: "second-delivery-of-the-finding" }, approvals: "auto" }),
    ]);
    expect([first.status, second.status].sort()).toEqual(["joined", "resolved"]);
    expect(second.incidentId).toBe(first.incidentId);
    const afterFirst = changes(s.account.mutations());
    expect(afterFirst.filter((c) => c === "sns:Publish")).toHaveLength(1);

    // The same event delivered again after the close is a redelivery: it joins the closed incident.
    const redelivered = await runner.runIncident({ runbookId: RUNBOOK, event: s.event, approvals: "auto" });
    expect(redelivered).toMatchObject({ status: "joined", incidentId: first.incidentId });
    expect(changes(s.account.mutations())).toEqual(afterFirst);

    // A new finding for the same resource, from another process on the same file: the key is free.
    const later = await scenario(RUNBOOK);
    const { runner: another } = await runtimeOn(dir, later.account);
    const next = await another.runIncident({ runbookId: RUNBOOK, event: { ...later.event, id: "a-new-finding-event" }, approvals: "auto" });
    expect(next.status).toBe("resolved");
    expect(next.incidentId).not.toBe(first.incidentId);
    const store = new SqliteIncidentStore(secondConnection(dir));
    expect(store.incidents().map((i) => [i.incidentId, i.status])).toEqual([
      [first.incidentId, "closed"],
      [next.incidentId, "closed"],
    ]);
  });

  it("a report that cannot be written fails the run saying how to render it, but the incident is closed in the store as in the log: the next finding opens a new incident", async () => {
    const dir = tempDir();
    const s = await scenario(RUNBOOK);
    const blocked = join(makeTempDir("irflow-reports-blocked-"), "reports");
    writeFileSync(blocked, "a file where the reports folder should be");
    const runtime = await openLocalRuntime({ dir, account: s.account, runbookIds: [RUNBOOK], clock: { now: () => NOW }, retryDelayScale: 0, reportsDirectory: blocked, approvalSweepMs: 0 });
    cleanup.push(() => runtime.close());
    const first = await runtime.runner.runIncident({ runbookId: RUNBOOK, event: s.event, approvals: "auto" });
    expect(first.status).toBe("failed");
    expect(first.reportLocation).toBeUndefined();
    const cause = first.outcome.status === "FAILED" ? first.outcome.cause : "";
    expect(cause).toContain(`${first.incidentId} is closed, but its report was not written (irflow report ${first.incidentId} --output <file> renders it from the log): could not write the report ${join(blocked, `${first.incidentId}.md`)}`);
    const store = new SqliteIncidentStore(secondConnection(dir));
    expect(store.incident(first.incidentId!)).toMatchObject({ status: "closed" });
    expect(projectRecord(first.incidentId!, new SqliteAuditLog(secondConnection(dir)).entriesNow(first.incidentId!)).closed).toMatchObject({ status: "resolved" });

    const next = await runtime.runner.runIncident({ runbookId: RUNBOOK, event: { ...s.event, id: "a-new-finding-event" }, approvals: "auto" });
    expect(next.status).not.toBe("joined");
    expect(next.incidentId).not.toBe(first.incidentId);
  });

  it("a private in-memory database (:memory:) runs the same incident and leaves no file", async () => {
    const s = await scenario(RUNBOOK);
    const reportsDirectory = tempDir();
    const runtime = await openLocalRuntime({ path: ":memory:", account: s.account, runbookIds: [RUNBOOK], clock: { now: () => NOW }, retryDelayScale: 0, reportsDirectory, approvalSweepMs: 0 });
    cleanup.push(() => runtime.close());
    await expect(runtime.runner.runIncident({ runbookId: RUNBOOK, event: s.event, approvals: "auto" })).resolves.toMatchObject({ status: "resolved" });
    expect(new SqliteHistory(runtime.database).list()).toHaveLength(6);
  });
});
