import { describe, expect, it } from "vitest";
import { checkAnswer } from "../../../functions/approval/check-answer.js";
import { arnPatternMatches, identityFromArn, isAllowedApprover, isRequester, personOf } from "../../../functions/approval/identity.js";
import contract from "../../../functions/approval/request-approval.contract.js";
import { approval, at, DIGEST, lead, request } from "./fixtures.js";

const approve = (arn: string) => ({ kind: "approve" as const, caller: identityFromArn(arn), reason: "checked the plan", digest: DIGEST.slice(0, 12) });
const LEADS = ["arn:aws:iam::*:role/IncidentLead", "arn:aws:iam::*:role/IncidentResponder"];

describe("two-person steps count people, not ARN spellings", () => {
  it("refuses the same session as the second approver through another role", () => {
    const a = approval({ requiredApprovals: 2, approvers: LEADS });
    const first = checkAnswer(a, approve("arn:aws:sts::123456789012:assumed-role/IncidentLead/alice"), at(10));
    expect(first).toMatchObject({ ok: true, complete: false });
    const after = { ...a, votes: first.ok ? [...first.votes] : [] };
    expect(checkAnswer(after, approve("arn:aws:sts::123456789012:assumed-role/IncidentResponder/alice"), at(11))).toMatchObject({ ok: false, refusal: { code: "duplicate-approver" } });
  });

  it("refuses the same person in another case or another account's session", () => {
    const a = approval({ requiredApprovals: 2, approvers: LEADS });
    const first = checkAnswer(a, approve("arn:aws:sts::123456789012:assumed-role/IncidentLead/alice@example.com"), at(10));
    const after = { ...a, votes: first.ok ? [...first.votes] : [] };
    expect(checkAnswer(after, approve("arn:aws:sts::123456789012:assumed-role/IncidentLead/Alice@Example.com"), at(11))).toMatchObject({ ok: false, refusal: { code: "duplicate-approver" } });
    expect(checkAnswer(after, approve("arn:aws:sts::210987654321:assumed-role/IncidentLead/alice@example.com"), at(11))).toMatchObject({ ok: false, refusal: { code: "duplicate-approver" } });
  });

  it("refuses local names differing only in case or spaces", () => {
    const a = approval({ requiredApprovals: 2 });
    const local = (name: string) => ({ actor: name, principals: [`local:${name}`, "arn:aws:iam::000000000000:role/IncidentLead"] });
    const first = checkAnswer(a, { kind: "approve", caller: local("alice"), reason: "ok", digest: DIGEST }, at(10));
    const after = { ...a, votes: first.ok ? [...first.votes] : [] };
    expect(checkAnswer(after, { kind: "approve", caller: local("Alice "), reason: "ok", digest: DIGEST }, at(11))).toMatchObject({ ok: false, refusal: { code: "duplicate-approver" } });
  });

  it("still accepts two different people", () => {
    const a = approval({ requiredApprovals: 2 });
    const first = checkAnswer(a, approve(lead("alice").actor), at(10));
    const after = { ...a, votes: first.ok ? [...first.votes] : [] };
    expect(checkAnswer(after, approve(lead("carol").actor), at(11))).toMatchObject({ ok: true, complete: true });
  });
});

describe("the requester cannot approve under another spelling", () => {
  it.each([
    ["another case", "arn:aws:sts::123456789012:assumed-role/IncidentLead/Alice"],
    ["an IAM user of the same name", "arn:aws:iam::123456789012:user/ops/alice"],
    ["a local name in another case", "ALICE"],
  ])("refuses the requester approving as %s", (_name, requester) => {
    expect(isRequester(lead("alice"), requester)).toBe(true);
    expect(checkAnswer(approval({}, requester), approve(lead("alice").actor), at(5))).toMatchObject({ ok: false, refusal: { code: "requester" } });
  });

  it("names one person per session, user or local name", () => {
    expect(personOf("arn:aws:sts::123456789012:assumed-role/IncidentLead/Alice")).toBe(personOf("arn:aws-us-gov:iam::210987654321:user/alice"));
    expect(personOf("arn:aws:sts::123456789012:assumed-role/IncidentLead/alice")).not.toBe(personOf("arn:aws:sts::123456789012:assumed-role/IncidentLead/carol"));
  });
});

describe("approver patterns: a * stays within one ARN field and one path segment", () => {
  it.each([
    ["a longer role name", "arn:aws:iam::*:role/IncidentLead", "arn:aws:iam::123456789012:role/IncidentLeadIntern"],
    ["a role under a path", "arn:aws:iam::*:role/IncidentLead", "arn:aws:iam::123456789012:role/contractors/IncidentLead"],
    ["an account field swallowing a path with a colon", "arn:aws:iam::*:role/IncidentLead", "arn:aws:iam::123456789012:role/x:role/IncidentLead"],
    ["a role wildcard reaching into paths", "arn:aws:iam::123456789012:role/Incident*", "arn:aws:iam::123456789012:role/Incident/evil/Admin"],
    ["another account through a trailing wildcard", "arn:aws:iam::123456789012:role/*", "arn:aws:iam::999999999999:role/IncidentLead"],
    ["a one-character wildcard matching a slash", "arn:aws:iam::123456789012:role/a?b", "arn:aws:iam::123456789012:role/a/b"],
  ])("does not match %s", (_name, pattern, arn) => {
    expect(arnPatternMatches(pattern, arn)).toBe(false);
  });

  it("matches what the author means", () => {
    expect(arnPatternMatches("arn:aws:iam::*:role/IncidentLead", "arn:aws:iam::123456789012:role/IncidentLead")).toBe(true);
    expect(arnPatternMatches("arn:aws:iam::123456789012:role/Incident*", "arn:aws:iam::123456789012:role/IncidentResponder")).toBe(true);
    expect(arnPatternMatches("arn:aws:iam::123456789012:role/*/IncidentLead", "arn:aws:iam::123456789012:role/ops/IncidentLead")).toBe(true);
    expect(arnPatternMatches("arn:aws:sts::*:assumed-role/IncidentLead/*", "arn:aws:sts::123456789012:assumed-role/IncidentLead/alice")).toBe(true);
  });

  it("an assumed IncidentLeadIntern role is not an IncidentLead approver", () => {
    const intern = identityFromArn("arn:aws:sts::123456789012:assumed-role/IncidentLeadIntern/mallory");
    expect(isAllowedApprover(intern, ["arn:aws:iam::*:role/IncidentLead"])).toBe(false);
  });
});

describe("a destructive step never proceeds on timeout", () => {
  it("the approval request refuses on-timeout proceed for a destructive task, naming the field", () => {
    const parsed = contract.input.safeParse(request({ risk: "destructive", onTimeout: "proceed" }));
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]).toMatchObject({ path: ["onTimeout"], message: expect.stringContaining("destructive") });
    expect(contract.input.safeParse(request({ risk: "destructive", onTimeout: "abort" })).success).toBe(true);
    expect(contract.input.safeParse(request({ risk: "reversible", onTimeout: "proceed" })).success).toBe(true);
  });
});
