/**
 * An abort racing the approvals of the run it stops (review findings): an approval requested while
 * the abort is applied, an answer that landed but was not resumed, and a desk whose store fails.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { projectRecord } from "../../../functions/audit/incident-record.js";
import { buildReport } from "../../../functions/audit/report/report-model.js";
import { ABORT_KIND } from "../../../workflows/local/incident/abort-requests.js";
import type { ApprovalDesk } from "../../../workflows/local/incident/approval-desk.js";
import { SqliteApprovalDesk } from "../../../workflows/local/incident/sqlite-approval-desk.js";
import { openLocalRuntime } from "../../../workflows/local/local-runtime.js";
import { EmbeddedDatabase } from "../../../workflows/local/store/embedded-database.js";
import { SqliteApprovals } from "../../../workflows/local/store/sqlite-approvals.js";
import { SqliteAuditLog } from "../../../workflows/local/store/sqlite-audit-log.js";
import { SqliteHistory } from "../../../workflows/local/store/sqlite-history.js";
import { responder } from "../../functions/approval/fixtures.js";
import { scenario } from "./support.js";
import { tempDir as makeTempDir } from "../../support/temp-dir.js";

/** Its contain phase waits at an approval first. */
const GATED = "iam-access-key-compromise";

const cleanup: (() => void)[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const step of cleanup.splice(0).reverse()) step();
});

/** Removed when the test finishes, after the afterEach above has closed what uses it. */
const tempDir = (): string => makeTempDir("irflow-abort-race-");

function connection(dir: string): EmbeddedDatabase {
  const database = EmbeddedDatabase.open({ dir });
  cleanup.push(() => database.close());
  return database;
}

/** The gated runbook on a runtime over a fresh file, approvals answered by hand (nobody does). */
async function gatedRun() {
  const dir = tempDir();
  const s = await scenario(GATED);
  const runtime = await openLocalRuntime({ dir, account: s.account, runbookIds: [GATED], clock: { now: () => new Date() }, retryDelayScale: 0, reportsDirectory: tempDir(), approvalSweepMs: 0 });
  cleanup.push(() => runtime.close());
  const { runner } = runtime;
  const run = runner.runIncident({ runbookId: GATED, event: s.event, approvals: "manual" });
  return { dir, runner, run };
}

/** The first approval the run waits at (the desk's list is a promise, so polled here rather than with `eventually`). */
async function firstPending(desk: ApprovalDesk) {
  const until = Date.now() + 10_000;
  for (;;) {
    const [pending] = await desk.list();
    if (pending) return pending;
    if (Date.now() > until) throw new Error("the run never waited at an approval");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("an abort racing the approvals of the run it stops", { timeout: 60_000 }, () => {
  it("an approval requested while the abort is applied (its handler was already running) is withdrawn, not expired", async () => {
    const dir = tempDir();
    const s = await scenario(GATED);
    const runtime = await openLocalRuntime({ dir, account: s.account, runbookIds: [GATED], clock: { now: () => new Date() }, retryDelayScale: 0, reportsDirectory: tempDir(), approvalSweepMs: 0 });
    cleanup.push(() => runtime.close());
    const { runner } = runtime;
    const desk = runner.approvals;
    const real = desk.request.bind(desk);
    let requested: Promise<{ approvalId: string }> | undefined;
    // The abort lands in the window the reviewer found: after the handler started, before the desk stores the request.
    vi.spyOn(desk, "request").mockImplementation((request, policy, context) => {
      requested ??= runner.abort({ by: "bob", reason: "wrong key" }).then(() => real(request, policy, context));
      return requested;
    });
    const result = await runner.runIncident({ runbookId: GATED, event: s.event, approvals: "manual" });
    expect(result.status).toBe("aborted");
    const { approvalId } = await requested!;
    // The run's last look, as runIncident makes one: the closed wait must not be called expired.
    await desk.poll?.();

    expect(await desk.get(approvalId)).toMatchObject({ status: "withdrawn", withdrawal: { by: "bob", reason: "wrong key" } });
    expect(await desk.list()).toEqual([]);
    const entries = new SqliteAuditLog(connection(dir)).entriesNow(result.incidentId!);
    const kinds = entries.map((e) => e.kind);
    expect(kinds).not.toContain("approval.expired");
    const withdrawn = entries.filter((e) => e.kind === "approval.withdrawn");
    expect(withdrawn).toEqual([expect.objectContaining({ body: expect.objectContaining({ approvalId, by: "bob", reason: "wrong key" }) })]);
    // Requested, then withdrawn, both after the abort that stopped its execution.
    const seqOf = (kind: string) => entries.find((e) => e.kind === kind && (kind === ABORT_KIND.applied || e.body.approvalId === approvalId))!.seq;
    expect(seqOf(ABORT_KIND.applied)).toBeLessThan(seqOf("approval.requested"));
    expect(seqOf("approval.requested")).toBeLessThan(seqOf("approval.withdrawn"));
  });

  it("an approval answered from another terminal but not yet resumed: withdrawn with the votes, and the report says the answer came too late (the step never ran)", async () => {
    const { dir, runner, run } = await gatedRun();
    const pending = await firstPending(runner.approvals);
    // The run's desk stops looking for answers, so the abort comes before it resumes this one.
    runner.approvals.close();
    const responderDesk = new SqliteApprovalDesk(connection(dir), { audit: new SqliteAuditLog(connection(dir)), pollMs: 0 });
    await responderDesk.approve(pending.id, { as: responder("alice"), reason: "the key leaked", digest: pending.digest });
    await runner.abort({ by: "bob", reason: "wrong key" });
    expect((await run).status).toBe("aborted");

    const alice = responder("alice").actor;
    expect(await runner.approvals.get(pending.id)).toMatchObject({ status: "withdrawn", withdrawal: { by: "bob", reason: "wrong key", answer: { decision: "approved", by: alice } } });
    const entries = new SqliteAuditLog(connection(dir)).entriesNow(pending.incidentId);
    expect(entries.find((e) => e.kind === "approval.withdrawn")?.body).toMatchObject({ approvalId: pending.id, votes: [alice], answer: { decision: "approved", by: alice } });
    // The approved step never ran: the phase that waited on it ended ABORTED.
    expect(entries.some((e) => e.kind === "step.ran" && e.body.stepId === pending.stepId)).toBe(false);
    expect(new SqliteHistory(connection(dir)).describe(pending.executionId)?.status).toBe("ABORTED");
    const record = projectRecord(pending.incidentId, entries);
    const late = `the incident was aborted by bob: wrong key (it had been approved by ${alice}, too late: the answer never reached the workflow)`;
    expect(record.timeline.find((item) => item.kind === "approval.withdrawn")?.what).toBe(`${pending.stepId} withdrawn: ${late}`);
    const report = buildReport(record, new Date());
    expect(report.approvals.find((a) => a.stepId === pending.stepId)).toMatchObject({ decision: "withdrawn", by: ["bob"] });
    expect(report.steps.find((step) => step.stepId === pending.stepId)).toMatchObject({ outcome: "withdrawn", summary: `withdrawn: ${late}` });
  });

  it("a desk whose store throws while withdrawing does not keep the executions from stopping; abort rejects with its error after they ended", async () => {
    const { runner, run } = await gatedRun();
    const pending = await firstPending(runner.approvals);
    vi.spyOn(SqliteApprovals.prototype, "markWithdrawn").mockImplementation(() => {
      throw new Error("database is locked");
    });
    await expect(runner.abort({ by: "bob", reason: "wrong key" })).rejects.toThrow("database is locked");
    // Stopped and stored before abort settled, though the log's abort.applied was followed by a failure.
    expect(runner.engine.running(pending.executionId)).toBeUndefined();
    vi.restoreAllMocks();
    expect((await run).status).toBe("aborted");
    // Its approval stays watched: a look once the store works again withdraws it, not expires it.
    await runner.approvals.poll?.();
    expect(await runner.approvals.get(pending.id)).toMatchObject({ status: "withdrawn", withdrawal: { by: "bob", reason: "wrong key" } });
  });
});
