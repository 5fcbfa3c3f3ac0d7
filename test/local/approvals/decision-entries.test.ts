/**
 * One audit entry per decision, carrying the authority it was given under, whichever process took
 * the answer: the run's own desk (the terminal prompt) or a responder's (`irflow approve`).
 */
import { describe, expect, it } from "vitest";
import type { AuditEntryInput } from "../../../functions/audit/audit-port.js";
import { buildReport } from "../../../functions/audit/report/index.js";
import type { LocalIncidentRunner } from "../../../workflows/local/incident/local-incident-runner.js";
import { SqliteApprovalDesk } from "../../../workflows/local/incident/sqlite-approval-desk.js";
import { SqliteAuditLog } from "../../../workflows/local/store/sqlite-audit-log.js";
import { NOW, runnerFor, scenario } from "../incident/support.js";
import { useTempDatabases } from "../store/support.js";
import { approveTheRest, pendingOn } from "./support.js";

const temp = useTempDatabases();
const RUNBOOK = "flow-log-known-bad-traffic";
const FIRST_STEP = "contain/isolate-the-instance";
const ROLES = ["IncidentResponder", "IncidentLead", "SecurityOnCall"].map((role) => `arn:aws:iam::000000000000:role/${role}`);
/** As the CLI resolves `--as <name> --role …` with no identities file. */
const claiming = (name: string) => ({ actor: name, principals: [`local:${name}`, ...ROLES], vouchedBy: "claimed with --role" });

/** The decision entries of one approval in the run's log, its record's line for it, and its row of the report. */
function decisionOf(runner: LocalIncidentRunner, incidentId: string, approvalId: string) {
  const entries = runner.records.log.entriesNow(incidentId).filter((e) => e.body.approvalId === approvalId && (e.kind === "approval.approved" || e.kind === "approval.rejected"));
  const record = runner.records.get(incidentId)!;
  const lines = record.timeline.filter((item) => item.what.startsWith(`${FIRST_STEP} approved`) || item.what.startsWith(`${FIRST_STEP} rejected`)).map((item) => item.what);
  const row = buildReport(record, NOW).approvals.find((a) => a.approvalId === approvalId);
  return { entries: entries.map((e) => ({ kind: e.kind, actor: e.actor, authority: e.body.authority })), lines, row: { decision: row?.decision, by: row?.by, authority: row?.authority } };
}

describe("a decision's audit entry", { timeout: 30_000 }, () => {
  it("answered at the run's own desk (the terminal prompt): one approval.approved entry with the authority, one timeline line, the report names it", async () => {
    const s = await scenario(RUNBOOK);
    const runner = await runnerFor(s, { database: temp.open(temp.dir()) });
    const run = runner.runIncident({ runbookId: RUNBOOK, event: s.event, approvals: "manual" });
    const pending = await pendingOn(runner.approvals);
    await runner.approvals.approve(pending.id, { as: claiming("root"), reason: "looks right", digest: pending.digest });
    const result = await approveTheRest(runner.approvals, run, claiming);

    expect(decisionOf(runner, result.incidentId!, pending.id)).toEqual({
      entries: [{ kind: "approval.approved", actor: "root", authority: [{ by: "root", as: ["arn:aws:iam::000000000000:role/IncidentResponder"], vouchedBy: "claimed with --role" }] }],
      lines: [`${FIRST_STEP} approved by root as IncidentResponder (claimed with --role): looks right`],
      row: { decision: "approved", by: ["root"], authority: ["root as IncidentResponder (claimed with --role)"] },
    });
  });

  it("rejected at the run's own desk: one approval.rejected entry with the authority", async () => {
    const s = await scenario(RUNBOOK);
    const runner = await runnerFor(s, { database: temp.open(temp.dir()) });
    const run = runner.runIncident({ runbookId: RUNBOOK, event: s.event, approvals: "manual" });
    const pending = await pendingOn(runner.approvals);
    await runner.approvals.reject(pending.id, { as: claiming("root"), reason: "our scanner" });
    const result = await run;

    expect(decisionOf(runner, result.incidentId!, pending.id)).toEqual({
      entries: [{ kind: "approval.rejected", actor: "root", authority: [{ by: "root", as: ["arn:aws:iam::000000000000:role/IncidentResponder"], vouchedBy: "claimed with --role" }] }],
      lines: [`${FIRST_STEP} rejected by root as IncidentResponder (claimed with --role): our scanner`],
      row: { decision: "rejected", by: ["root"], authority: ["root as IncidentResponder (claimed with --role)"] },
    });
  });

  it("answered from another process whose entry is written after the run resumed: still one entry, the responder's", async () => {
    const s = await scenario(RUNBOOK);
    const dir = temp.dir();
    const runner = await runnerFor(s, { database: temp.open(dir) });
    // `irflow approve`: its own connection, the embedded log; its entry held until the run has resumed the workflow.
    const log = new SqliteAuditLog(temp.open(dir));
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    const held = { append: async (incidentId: string, entry: AuditEntryInput) => (await released, log.append(incidentId, entry)) };
    const responder = new SqliteApprovalDesk(temp.open(dir), { now: () => NOW, audit: held, pollMs: 0 });
    const run = runner.runIncident({ runbookId: RUNBOOK, event: s.event, approvals: "manual" });
    const pending = await pendingOn(responder);
    const stop = runner.approvals.subscribe!((event) => event.kind === "ended" && event.approval.id === pending.id && release());
    const answered = responder.approve(pending.id, { as: claiming("bob"), reason: "confirmed", digest: pending.digest });
    await released;
    stop();
    await answered;
    const result = await approveTheRest(runner.approvals, run, claiming);

    expect(decisionOf(runner, result.incidentId!, pending.id)).toEqual({
      entries: [{ kind: "approval.approved", actor: "bob", authority: [{ by: "bob", as: ["arn:aws:iam::000000000000:role/IncidentResponder"], vouchedBy: "claimed with --role" }] }],
      lines: [`${FIRST_STEP} approved by bob as IncidentResponder (claimed with --role): confirmed`],
      row: { decision: "approved", by: ["bob"], authority: ["bob as IncidentResponder (claimed with --role)"] },
    });
  });
});
