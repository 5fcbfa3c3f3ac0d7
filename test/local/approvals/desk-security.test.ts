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

  it("says what vouches for the roles: the identities file for a listed name, a --role claim for any other, nothing without a role", () => {
    const file = { accountId: "123456789012", identities: { alice: ["IncidentResponder"] } };
    expect(localIdentity("alice", [], file).vouchedBy).toBe("identities.yaml");
    expect(localIdentity("alice", ["IncidentResponder"], file).vouchedBy).toBe("identities.yaml");
    expect(localIdentity("bob", ["IncidentResponder"], file).vouchedBy).toBe("claimed with --role");
    expect(localIdentity("bob", [], file).vouchedBy).toBeUndefined();
  });
});

describe("an answer's audit entry says under which authority it counted", () => {
  it("the approver principal the step named and what vouched for it, for each vote of a two-person step", async () => {
    const entries: AuditEntryInput[] = [];
    const file = { accountId: "123456789012", identities: { alice: ["IncidentLead"] } };
    const engine: TaskAnswerPort = { sendTaskSuccess: () => undefined, sendTaskFailure: () => undefined, isWaiting: () => true };
    const desk = new MemoryApprovalDesk({ answers: engine, now: () => at(60), pollMs: 0, audit: { append: (_incident, entry) => (entries.push(entry), Promise.resolve()) } });
    const { approvalId } = await desk.request(request({ requiredApprovals: 2 }), "manual", { requester: "event:aws.guardduty" });
    await desk.approve(approvalId, { as: localIdentity("alice", [], file), reason: "host confirmed", digest: DIGEST });
    await desk.approve(approvalId, { as: localIdentity("carol", ["IncidentLead"], file), reason: "agreed", digest: DIGEST });
    const role = "arn:aws:iam::123456789012:role/IncidentLead";
    expect(entries.filter((e) => e.kind.startsWith("approval.vote") || e.kind === "approval.approved").map((e) => [e.kind, e.body.authority])).toEqual([
      ["approval.vote-recorded", [{ by: "alice", as: [role], vouchedBy: "identities.yaml" }]],
      [
        "approval.approved",
        [
          { by: "alice", as: [role], vouchedBy: "identities.yaml" },
          { by: "carol", as: [role], vouchedBy: "claimed with --role" },
        ],
      ],
    ]);
    expect((await desk.get(approvalId))?.votes.map((vote) => [vote.by, vote.as, vote.vouchedBy])).toEqual([
      ["alice", [role], "identities.yaml"],
      ["carol", [role], "claimed with --role"],
    ]);
    desk.close();
  });
});
