import { describe, expect, it } from "vitest";
import { approvalDigest, requesterOf } from "../../../functions/approval/approval.js";
import { checkAnswer, REFUSAL_STATUS } from "../../../functions/approval/check-answer.js";
import { arnPatternMatches, identityFromArn, isRequester } from "../../../functions/approval/identity.js";
import { approval, at, DIGEST, lead, responder } from "./fixtures.js";

const approve = (caller = lead("alice"), extra: { reason?: string; digest?: string } = {}) => ({ kind: "approve" as const, caller, reason: "confirmed the host", digest: DIGEST.slice(0, 12), ...extra });

describe("checkAnswer", () => {
  it("accepts an allowed approver who confirms the digest and gives a reason; one approval decides a single-person step", () => {
    const result = checkAnswer(approval(), approve(), at(60));
    // The vote keeps the authority it counted under: the role the step names, vouched for by the signature.
    const vote = { by: lead("alice").actor, reason: "confirmed the host", at: at(60).toISOString(), as: ["arn:aws:iam::123456789012:role/IncidentLead"], vouchedBy: "signed IAM request" };
    expect(result).toEqual({ ok: true, complete: true, decision: "approved", vote, votes: [vote] });
  });

  it.each([
    ["an unknown or forged id", undefined, approve(), "not-found", 404],
    ["a wrong approver (responder on a lead step)", approval(), approve(responder("bob")), "not-allowed", 403],
    ["a digest that is not the plan's", approval(), approve(lead("alice"), { digest: "cd".repeat(6) }), "digest-mismatch", 409],
    ["no digest", approval(), approve(lead("alice"), { digest: "" }), "digest-required", 400],
    ["a digest too short to mean anything", approval(), approve(lead("alice"), { digest: DIGEST.slice(0, 8) }), "digest-required", 400],
    ["no reason", approval(), approve(lead("alice"), { reason: "   " }), "reason-required", 400],
  ] as const)("refuses %s", (_name, target, answer, code, status) => {
    const result = checkAnswer(target, answer, at(60));
    expect(result).toMatchObject({ ok: false, refusal: { code } });
    expect(REFUSAL_STATUS[code]).toBe(status);
  });

  it("refuses the requester approving their own step (but lets them reject it)", () => {
    const alice = lead("alice");
    const own = approval({}, alice.actor);
    expect(checkAnswer(own, approve(alice), at(60))).toMatchObject({ ok: false, refusal: { code: "requester", message: expect.stringContaining("requested this step") } });
    expect(checkAnswer(own, { kind: "reject", caller: alice, reason: "not needed" }, at(60))).toMatchObject({ ok: true, decision: "rejected" });
    // The same session under another role is still the requester.
    expect(isRequester(identityFromArn("arn:aws:sts::123456789012:assumed-role/IncidentResponder/alice"), alice.actor)).toBe(true);
  });

  it("refuses answers at or after the deadline, and to approvals already decided or expired", () => {
    const a = approval();
    expect(checkAnswer(a, approve(), new Date(a.deadline))).toMatchObject({ ok: false, refusal: { code: "expired" } });
    expect(checkAnswer({ ...a, status: "approved", decidedAt: at(5).toISOString() }, approve(), at(60))).toMatchObject({ ok: false, refusal: { code: "already-decided" } });
    expect(checkAnswer({ ...a, status: "expired" }, approve(), at(60))).toMatchObject({ ok: false, refusal: { code: "expired" } });
  });

  it("needs two different people on a two-person step: the first vote does not decide, the same person twice is refused", () => {
    const a = approval({ requiredApprovals: 2 });
    const first = checkAnswer(a, approve(lead("alice")), at(60));
    expect(first).toMatchObject({ ok: true, complete: false });
    const afterFirst = { ...a, votes: first.ok ? [...first.votes] : [] };
    expect(checkAnswer(afterFirst, approve(lead("alice")), at(61))).toMatchObject({ ok: false, refusal: { code: "duplicate-approver" } });
    const second = checkAnswer(afterFirst, approve(lead("carol")), at(62));
    expect(second).toMatchObject({ ok: true, complete: true, decision: "approved" });
    expect(second.ok && second.votes.map((v) => v.by)).toEqual([lead("alice").actor, lead("carol").actor]);
  });

  it("accepts the full digest in any case, and checks the reason last among the refusable fields", () => {
    expect(checkAnswer(approval(), approve(lead("alice"), { digest: DIGEST.toUpperCase() }), at(1))).toMatchObject({ ok: true });
  });
});

describe("identities and requesters", () => {
  it("an assumed-role session acts as its role; patterns are IAM globs", () => {
    const alice = identityFromArn("arn:aws:sts::123456789012:assumed-role/IncidentLead/alice");
    expect(alice.principals).toEqual(["arn:aws:sts::123456789012:assumed-role/IncidentLead/alice", "arn:aws:iam::123456789012:role/IncidentLead"]);
    expect(arnPatternMatches("arn:aws:iam::*:role/IncidentLead", alice.principals[1]!)).toBe(true);
    expect(arnPatternMatches("arn:aws:iam::*:role/IncidentLead", "arn:aws:iam::123456789012:role/IncidentLeader")).toBe(false);
    expect(arnPatternMatches("arn:aws:iam::1234567890?2:role/*", "arn:aws:iam::123456789012:role/x")).toBe(true);
    expect(isRequester(identityFromArn("arn:aws:iam::123456789012:user/bob"), "event:aws.guardduty")).toBe(false);
  });

  it("the requester is the trigger for automatic events and the person for manual ones", () => {
    expect(requesterOf({ source: "aws.guardduty", detail: {} })).toBe("event:aws.guardduty");
    expect(requesterOf({ source: "aws.guardduty" }, "alice")).toBe("event:aws.guardduty");
    expect(requesterOf({ source: "irflow.manual", detail: { requestedBy: "bob" } })).toBe("bob");
    expect(requesterOf({ source: "irflow.manual", detail: {} }, "alice")).toBe("alice");
    expect(requesterOf({ source: "irflow.manual" })).toBe("manual:unknown");
  });

  it("the approval digest is the plan's own for one plan and covers every plan of a foreach step", () => {
    expect(approvalDigest([{ digest: DIGEST }])).toBe(DIGEST);
    const both = approvalDigest([{ digest: DIGEST }, { digest: "cd".repeat(32) }]);
    expect(both).toMatch(/^[0-9a-f]{64}$/);
    expect(both).not.toBe(approvalDigest([{ digest: "cd".repeat(32) }, { digest: DIGEST }]));
  });
});
