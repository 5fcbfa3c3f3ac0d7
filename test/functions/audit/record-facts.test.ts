/** The single facts read without projecting answer as the projection does, readable bodies or not. */
import { describe, expect, it } from "vitest";
import { KIND } from "../../../functions/audit/audit-kinds.js";
import type { AuditEntryInput } from "../../../functions/audit/audit-port.js";
import { chainOf } from "../../support/audit-chain.js";
import { isClosedIn, isDecidedIn, projectRecord, reachedMilestones } from "../../../functions/audit/incident-record.js";

const ID = "inc-20261124-facts0000001";
const at = "2026-11-24T12:00:00.000Z";

const chain = (inputs: readonly AuditEntryInput[]) => chainOf(ID, inputs);

const e = (kind: string, body: Record<string, unknown>): AuditEntryInput => ({ kind, actor: "system:test", at, body });

const logs: Record<string, AuditEntryInput[]> = {
  empty: [],
  milestones: [e(KIND.milestone, { name: "detected" }), e(KIND.milestone, { name: "nonsense" }), e(KIND.milestone, {}), e(KIND.milestone, { name: "contained" }), e(KIND.milestone, { name: "detected" })],
  closeUnreadable: [e(KIND.incidentClosed, { status: "exploded", document: {} })],
  closeReadable: [e(KIND.incidentClosed, { status: "exploded", document: {} }), e(KIND.incidentClosed, { status: "resolved", document: { a: 1 } })],
  approvals: [
    e(KIND.approvalRequested, { approvalId: "apr-requested", stepId: "contain/x" }),
    e(KIND.approvalApproved, { approvalId: "apr-1", stepId: "contain/x", by: ["alice"] }),
    e(KIND.approvalRejected, { id: "apr-by-id", stepId: "contain/y" }),
    e(KIND.approvalExpired, { approvalId: "apr-no-step" }),
    e(KIND.approvalWithdrawn, { approvalId: 7, id: "apr-number-id", stepId: "contain/z" }),
    e(KIND.approvalApproved, { approvalId: "", id: "apr-empty", stepId: "contain/w" }),
    e(KIND.approvalRefused, { approvalId: "apr-refused", stepId: "contain/v" }),
  ],
};

describe("single facts of the projection", () => {
  for (const [name, inputs] of Object.entries(logs)) {
    it(`agree with projectRecord: ${name}`, () => {
      const entries = chain(inputs);
      const record = projectRecord(ID, entries);
      expect(reachedMilestones(entries)).toEqual(record.milestones.map((m) => m.name));
      expect(isClosedIn(entries)).toBe(record.closed !== undefined);
      for (const id of ["apr-requested", "apr-1", "apr-by-id", "apr-no-step", "apr-number-id", "apr-empty", "apr-refused", "apr-unknown", ""]) {
        expect(isDecidedIn(entries, id), id).toBe(record.approvals.some((a) => a.approval.id === id && a.decision !== undefined));
      }
    });
  }
});
