import { describe, expect, it } from "vitest";
import type { StateMachine } from "../../../workflows/compiler/asl.js";
import { SqliteApprovalDesk } from "../../../workflows/local/incident/sqlite-approval-desk.js";
import { SqliteAuditLog } from "../../../workflows/local/store/sqlite-audit-log.js";
import { NOW, runnerFor, scenario, withShortApprovalWaits } from "../incident/support.js";
import { useTempDatabases } from "../store/support.js";
import { approveTheRest, pendingOn } from "./support.js";

const temp = useTempDatabases();
const RUNBOOK = "flow-log-known-bad-traffic";
const responder = (name: string) => ({ actor: name, principals: [`local:${name}`, "arn:aws:iam::000000000000:role/IncidentResponder"] });
/** Holds every approver role the runbooks name, for answering the later steps of a run. */
const lead = (name: string) => ({ actor: name, principals: [`local:${name}`, ...["IncidentResponder", "IncidentLead", "SecurityOnCall"].map((role) => `arn:aws:iam::000000000000:role/${role}`)] });

async function setup(definitions?: ReadonlyMap<string, StateMachine>) {
  const dir = temp.dir();
  const s = await scenario(RUNBOOK);
  const runner = await runnerFor(s, { database: temp.open(dir), ...(definitions ? { definitions } : {}) });
  // "Another process": its own connection to the same file, no engine; it audits into the embedded log, as `irflow approve` does.
  const other = new SqliteApprovalDesk(temp.open(dir), { now: () => NOW, audit: new SqliteAuditLog(temp.open(dir)), pollMs: 0 });
  /** The incident's audit log as the run reads it. */
  const entries = (incidentId: string) => runner.records.log.entriesNow(incidentId);
  return { s, runner, other, entries };
}

describe("the local runner on the embedded database", { timeout: 30_000 }, () => {
  it("resumes a waiting run when another connection approves, with the full plan shown and the approver recorded", async () => {
    const { s, runner, other, entries } = await setup();
    const run = runner.runIncident({ runbookId: RUNBOOK, event: s.event, approvals: "manual" });
    const pending = await pendingOn(other);
    expect(pending).toMatchObject({ stepId: "contain/isolate-the-instance", requester: "event:irflow.flowlogs", plans: [{ details: expect.arrayContaining([expect.objectContaining({ before: expect.anything(), after: expect.anything() })]) }] });
    await other.approve(pending.id, { as: responder("alice"), reason: "confirmed with team-data", digest: pending.digest.slice(0, 12) });
    const result = await approveTheRest(other, run, lead);
    expect(s.account.mutations().map((m) => `${m.service}:${m.command}`)).toContain("ec2:ModifyNetworkInterfaceAttribute");
    expect(runner.records.get(result.incidentId!)?.approvals[0]?.decision).toMatchObject({ decision: "approved", by: ["alice"] });
    // One entry per decision: the answering process's, with the authority it answered under.
    expect(entries(result.incidentId!).filter((e) => e.body.approvalId === pending.id).map((e) => [e.kind, e.body.authority])).toEqual([
      ["approval.requested", undefined],
      ["approval.approved", [{ by: "alice", as: ["arn:aws:iam::000000000000:role/IncidentResponder"] }]],
    ]);
  });

  it("routes a rejection from another connection to Rejected: the step records it and post-incident runs", async () => {
    const { s, runner, other } = await setup();
    const run = runner.runIncident({ runbookId: RUNBOOK, event: s.event, approvals: "manual" });
    const pending = await pendingOn(other);
    await other.reject(pending.id, { as: responder("bob"), reason: "the traffic is our scanner" });
    const result = await run;
    expect(result.status).toBe("failed");
    expect(runner.records.get(result.incidentId!)?.failures).toEqual([expect.objectContaining({ stepId: "contain/isolate-the-instance", error: "Rejected", cause: expect.stringContaining("our scanner") })]);
    expect(s.account.mutations().map((m) => `${m.service}:${m.command}`)).not.toContain("ec2:ModifyNetworkInterfaceAttribute");
  });

  it("on timeout asks the escalation approvers, then takes the runbook's on-timeout outcome; a late answer is refused", { timeout: 15_000 }, async () => {
    const { s, runner, other, entries } = await setup(await withShortApprovalWaits(RUNBOOK));
    const entered: string[] = [];
    const run = runner.runIncident({ runbookId: RUNBOOK, event: s.event, approvals: "manual", onEvent: (p) => p.event.type.endsWith("StateEntered") && entered.push((p.event.details as { name: string }).name) });
    const first = await pendingOn(other);
    expect(first).toMatchObject({ escalation: false, approvers: ["arn:aws:iam::*:role/IncidentResponder"] });
    const result = await run;
    expect(entered).toEqual(expect.arrayContaining(["Approve: Isolate the instance", "Escalate: Isolate the instance", "Record failure: Isolate the instance"]));
    expect(entered).not.toContain("Isolate the instance");
    expect(result.status).toBe("failed");
    expect(runner.records.get(result.incidentId!)?.failures).toEqual([expect.objectContaining({ stepId: "contain/isolate-the-instance", error: "States.Timeout" })]);
    const requested = entries(result.incidentId!).filter((e) => e.kind === "approval.requested");
    expect(requested.map((e) => e.body.approvers)).toEqual([["arn:aws:iam::*:role/IncidentResponder"], ["arn:aws:iam::*:role/SecurityOnCall"]]);
    expect(entries(result.incidentId!).filter((e) => e.kind === "approval.expired")).toHaveLength(2);
    await expect(other.approve(first.id, { as: responder("alice"), reason: "late", digest: first.digest })).rejects.toMatchObject({ code: "expired" });
    expect(s.account.mutations().map((m) => `${m.service}:${m.command}`)).not.toContain("ec2:ModifyNetworkInterfaceAttribute");
  });
});
