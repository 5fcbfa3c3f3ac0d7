import { describe, expect, it } from "vitest";
import type { AuditEntryInput } from "../../../functions/audit/audit-port.js";
import { MemoryApprovalDesk, type TaskAnswerPort } from "../../../workflows/local/incident/approval-desk.js";
import { IdentityError, localIdentity } from "../../../workflows/local/incident/local-identities.js";
import { at, DIGEST, lead, request } from "../../functions/approval/fixtures.js";

function timedOutEngine(): TaskAnswerPort {
  const gone = () => {
    throw Object.assign(new Error("Task Timed Out"), { name: "TaskTimedOut" });
  };
  return { sendTaskSuccess: gone, sendTaskFailure: gone, isWaiting: () => false };
}

describe("the local desk audits what happened", () => {
  it("an approval the engine could no longer take (timed out) is audited as refused and expired, never approved", async () => {
    const entries: AuditEntryInput[] = [];
    const desk = new MemoryApprovalDesk({ answers: timedOutEngine(), now: () => at(60), pollMs: 0, audit: { append: (_incident, entry) => (entries.push(entry), Promise.resolve()) } });
    const { approvalId } = await desk.request(request(), "manual", { requester: "event:aws.guardduty" });
    await expect(desk.approve(approvalId, { as: lead("alice"), reason: "go", digest: DIGEST })).rejects.toMatchObject({ code: "expired" });
    expect(entries.map((e) => e.kind)).toEqual(["approval.requested", "approval.refused", "approval.expired"]);
    expect(entries[1]).toMatchObject({ actor: lead("alice").actor, body: { refusal: "expired" } });
    expect((await desk.get(approvalId))?.status).toBe("expired");
    desk.close();
  });
});

describe("local identities are pinned whatever the case", () => {
  it("a listed name in another case holds only its listed roles", () => {
    const file = { accountId: "123456789012", identities: { alice: ["IncidentResponder"] } };
    expect(() => localIdentity("ALICE", ["IncidentLead"], file)).toThrow(IdentityError);
    expect(() => localIdentity(" Alice ", ["IncidentLead"], file)).toThrow(IdentityError);
    expect(localIdentity("Alice", [], file).principals).toContain("arn:aws:iam::123456789012:role/IncidentResponder");
  });
});
