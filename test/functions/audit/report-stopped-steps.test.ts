/** A step its approval stopped never ran: the report's steps, lessons and the timeline say so, not "failed". */
import { describe, expect, it } from "vitest";
import { KIND, stepEntry } from "../../../functions/audit/audit-kinds.js";
import type { AuditEntryInput } from "../../../functions/audit/audit-port.js";
import { projectRecord } from "../../../functions/audit/incident-record.js";
import { renderReport } from "../../../functions/audit/report/index.js";
import { buildReport } from "../../../functions/audit/report/report-model.js";
import type { StepRecord } from "../../../functions/runtime/step-journal.js";
import { chainOf } from "../../support/audit-chain.js";

const ID = "inc-20261125-stopped00001";
const at = "2026-11-25T12:00:00.000Z";
const STEP = "contain/close-port";
const TASK = "ec2.revoke-security-group-rule";

const record = (mode: StepRecord["mode"], summary: string): StepRecord => ({ task: TASK, mode, at, executionId: "exec-1", summary, changes: [], evidence: [] });
const planned = (item: number) => stepEntry(STEP, item, record("plan", `revoke rule ${item}`));
const ran = (item: number) => stepEntry(STEP, item, record("run", `revoked rule ${item}`));
const requested = (id: string): AuditEntryInput => ({ kind: KIND.approvalRequested, actor: "function:approval.request", at, body: { approvalId: id, stepId: STEP, task: TASK, approvers: ["IncidentResponder"] } });
const decided = (kind: string, id: string, body: Record<string, unknown> = {}): AuditEntryInput => ({ kind, actor: "bob", at, body: { approvalId: id, stepId: STEP, approvers: ["bob"], ...body } });
const failed = (error: string): AuditEntryInput => ({ kind: KIND.stepFailed, actor: "function:audit.record-failure", at, body: { stepId: STEP, error, cause: `${error}: it stopped` } });

const modelOf = (inputs: readonly AuditEntryInput[]) => {
  const rec = projectRecord(ID, chainOf(ID, inputs));
  return { record: rec, model: buildReport(rec, new Date(at)), md: renderReport(rec, "md", new Date(at)), html: renderReport(rec, "html", new Date(at)), json: JSON.parse(renderReport(rec, "json", new Date(at))) as { steps: unknown } };
};
const rows = (steps: readonly { stepId: string; item?: number; outcome: string; summary: string }[]) => steps.filter((s) => s.stepId === STEP).map((s) => ({ item: s.item, outcome: s.outcome, summary: s.summary }));

describe("steps an approval stopped", () => {
  it("a rejected foreach step shows each item rejected, not failed, in every format and the timeline", () => {
    const { record: rec, model, md, html, json } = modelOf([planned(0), planned(1), requested("apr-1"), decided(KIND.approvalRejected, "apr-1", { reason: "not now" }), failed("Rejected")]);
    const expected = [
      { item: 0, outcome: "rejected", summary: "rejected by bob: not now" },
      { item: 1, outcome: "rejected", summary: "rejected by bob: not now" },
    ];
    expect(rows(model.steps)).toEqual(expected);
    expect(json.steps).toEqual(model.steps);
    expect(md).toContain(`| ${STEP} [0] | ${TASK} | rejected |`);
    expect(md).toContain(`| ${STEP} [1] | ${TASK} | rejected |`);
    expect(md).not.toMatch(/\| failed \|/);
    expect(md).not.toContain(`| ${STEP} | ${TASK} |`);
    expect(html).toContain(`<tr><td>${STEP} [0]</td><td class="nowrap"><code>${TASK}</code></td><td><span class="badge rejected">rejected</span></td>`);
    expect(html).not.toContain(`badge failed`);
    expect(rec.timeline.at(-1)?.what).toBe(`${STEP} did not run: its approval was rejected (Rejected)`);
    // The failure stays on record (the phase failed with it); no lesson asks why the step failed.
    expect(model.failures).toEqual([expect.objectContaining({ stepId: STEP, error: "Rejected" })]);
    expect(model.lessons.filter((l) => l.includes(STEP))).toEqual([`${STEP} was rejected by bob ("not now"): was the planned action wrong for this incident, or should the runbook decide differently?`]);
  });

  it("an expiry that aborted stops the step; one that let it proceed does not", () => {
    const aborted = modelOf([planned(0), requested("apr-1"), decided(KIND.approvalExpired, "apr-1", { onTimeout: "abort" }), failed("States.Timeout")]);
    expect(rows(aborted.model.steps)).toEqual([{ item: 0, outcome: "expired", summary: "expired" }]);
    expect(aborted.record.timeline.at(-1)?.what).toBe(`${STEP} did not run: its approval expired (States.Timeout)`);

    const proceeded = modelOf([planned(0), requested("apr-1"), decided(KIND.approvalExpired, "apr-1", { onTimeout: "proceed" }), failed("AccessDenied")]);
    expect(rows(proceeded.model.steps)).toEqual([{ item: 0, outcome: "failed", summary: "revoke rule 0; failed: AccessDenied" }]);
    expect(proceeded.record.timeline.at(-1)?.what).toBe(`${STEP} failed: AccessDenied`);
  });

  it("a step that failed after approval still shows failed, on the item that did not run", () => {
    const { model, md, record: rec } = modelOf([planned(0), planned(1), requested("apr-1"), decided(KIND.approvalApproved, "apr-1", { reason: "go" }), ran(0), failed("AccessDenied")]);
    expect(rows(model.steps)).toEqual([
      { item: 0, outcome: "done", summary: "revoked rule 0" },
      { item: 1, outcome: "failed", summary: "revoke rule 1; failed: AccessDenied" },
    ]);
    expect(md).toContain(`| ${STEP} [1] | ${TASK} | failed |`);
    expect(rec.timeline.at(-1)?.what).toBe(`${STEP} failed: AccessDenied`);
  });

  it("an expiry escalated to a request that was approved does not stop the step: the latest approval decides", () => {
    const { model } = modelOf([planned(0), requested("apr-1"), decided(KIND.approvalExpired, "apr-1", { onTimeout: "escalate" }), requested("apr-2"), decided(KIND.approvalApproved, "apr-2"), failed("AccessDenied")]);
    expect(rows(model.steps)).toEqual([{ item: 0, outcome: "failed", summary: "revoke rule 0; failed: AccessDenied" }]);
  });
});
