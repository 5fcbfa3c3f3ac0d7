/** Under which authority each answer counted, as the record, the timeline and the reports show it. */
import { describe, expect, it } from "vitest";
import { KIND } from "../../../functions/audit/audit-kinds.js";
import type { AuditEntryInput } from "../../../functions/audit/audit-port.js";
import { chainOf } from "../../support/audit-chain.js";
import { projectRecord } from "../../../functions/audit/incident-record.js";
import { renderReport } from "../../../functions/audit/report/index.js";
import { buildReport } from "../../../functions/audit/report/report-model.js";

const ID = "inc-20261124-authority001";
const at = "2026-11-24T12:00:00.000Z";
const ROLE = "arn:aws:iam::123456789012:role/IncidentResponder";

const chain = (inputs: readonly AuditEntryInput[]) => chainOf(ID, inputs);

const requested = { kind: KIND.approvalRequested, actor: "function:approval.request", at, body: { approvalId: "apr-1", stepId: "contain/close-port", approvers: ["arn:aws:iam::*:role/IncidentResponder"] } };

describe("approval authority", () => {
  it("names the role each answer counted under and what vouched for it, in the record, the timeline and both reports", () => {
    const entries = chain([requested, { kind: KIND.approvalApproved, actor: "bob", at, body: { approvalId: "apr-1", stepId: "contain/close-port", reason: "port must close", approvers: ["bob"], authority: [{ by: "bob", as: [ROLE], vouchedBy: "claimed with --role" }] } }]);
    const record = projectRecord(ID, entries);
    expect(record.approvals[0]!.decision?.authority).toEqual([{ by: "bob", as: [ROLE], vouchedBy: "claimed with --role" }]);
    expect(record.timeline.at(-1)!.what).toBe("contain/close-port approved by bob as IncidentResponder (claimed with --role): port must close");
    const model = buildReport(record, new Date(at));
    expect(model.approvals[0]).toMatchObject({ approvalId: "apr-1", by: ["bob"], authority: ["bob as IncidentResponder (claimed with --role)"] });
    expect(renderReport(record, "md", new Date(at))).toContain("| contain/close-port | approved | bob as IncidentResponder (claimed with --role) | port must close |");
    expect(renderReport(record, "html", new Date(at))).toContain("<td>bob as IncidentResponder (claimed with --role)</td>");
  });

  it("shows the names alone for a log written before authority was kept, and skips what it cannot read", () => {
    const old = projectRecord(ID, chain([requested, { kind: KIND.approvalRejected, actor: "bob", at, body: { approvalId: "apr-1", stepId: "contain/close-port", reason: "wrong host", approvers: ["bob"] } }]));
    expect(old.approvals[0]!.decision).not.toHaveProperty("authority");
    expect(old.timeline.at(-1)!.what).toBe("contain/close-port rejected by bob: wrong host");
    expect(buildReport(old, new Date(at)).approvals[0]).not.toHaveProperty("authority");
    const odd = projectRecord(ID, chain([requested, { kind: KIND.approvalApproved, actor: "bob", at, body: { approvalId: "apr-1", stepId: "contain/close-port", reason: "ok", approvers: ["bob"], authority: [7, { as: [ROLE] }, { by: "bob", as: "not a list" }] } }]));
    expect(odd.approvals[0]!.decision?.authority).toEqual([{ by: "bob", as: [] }]);
    expect(odd.timeline.at(-1)!.what).toBe("contain/close-port approved by bob: ok");
  });
});
