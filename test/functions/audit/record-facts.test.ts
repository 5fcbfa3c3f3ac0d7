/** The single facts read without projecting answer as the projection does, readable bodies or not. */
import { describe, expect, it } from "vitest";
import { KIND } from "../../../functions/audit/audit-kinds.js";
import type { AuditEntryInput } from "../../../functions/audit/audit-port.js";
import { chainOf } from "../../support/audit-chain.js";
import { isClosedIn, projectRecord, reachedMilestones } from "../../../functions/audit/incident-record.js";

const ID = "inc-20261124-facts0000001";
const at = "2026-11-24T12:00:00.000Z";

const chain = (inputs: readonly AuditEntryInput[]) => chainOf(ID, inputs);

const e = (kind: string, body: Record<string, unknown>): AuditEntryInput => ({ kind, actor: "system:test", at, body });

const logs: Record<string, AuditEntryInput[]> = {
  empty: [],
  milestones: [e(KIND.milestone, { name: "detected" }), e(KIND.milestone, { name: "nonsense" }), e(KIND.milestone, {}), e(KIND.milestone, { name: "contained" }), e(KIND.milestone, { name: "detected" })],
  closeUnreadable: [e(KIND.incidentClosed, { status: "exploded", document: {} })],
  closeReadable: [e(KIND.incidentClosed, { status: "exploded", document: {} }), e(KIND.incidentClosed, { status: "resolved", document: { a: 1 } })],
};

describe("single facts of the projection", () => {
  for (const [name, inputs] of Object.entries(logs)) {
    it(`agree with projectRecord: ${name}`, () => {
      const entries = chain(inputs);
      const record = projectRecord(ID, entries);
      expect(reachedMilestones(entries)).toEqual(record.milestones.map((m) => m.name));
      expect(isClosedIn(entries)).toBe(record.closed !== undefined);
    });
  }
});
