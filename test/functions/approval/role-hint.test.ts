import { describe, expect, it } from "vitest";
import { checkAnswer } from "../../../functions/approval/check-answer.js";
import { nearMissRole } from "../../../functions/approval/role-hint.js";
import { localIdentity } from "../../../workflows/local/incident/local-identities.js";
import { approval, at, DIGEST, responder } from "./fixtures.js";

const RESPONDER = ["arn:aws:iam::*:role/IncidentResponder"];
const local = (...roles: string[]) => localIdentity("root", roles, { identities: {} }).principals;

describe("a near-miss role gets a hint, the refusal stands", () => {
  it("a typo or a case slip of an allowed role is named", () => {
    expect(nearMissRole(local("IncidentResponders"), RESPONDER)).toBe("did you mean IncidentResponder?");
    expect(nearMissRole(local("incidentresponder"), RESPONDER)).toBe("did you mean IncidentResponder?");
    expect(nearMissRole(local("IncidnetResponder"), RESPONDER)).toBe("did you mean IncidentResponder?");
    expect(nearMissRole(local("Auditor", "IncidentRespondr"), [...RESPONDER, "arn:aws:iam::*:role/IncidentLead"])).toBe("did you mean IncidentResponder?");
  });

  it("no role, another role, a far one, a short one, a wildcard pattern and an exact name in another account get none", () => {
    expect(nearMissRole(local(), RESPONDER)).toBeUndefined();
    expect(nearMissRole(local("IncidentLead"), RESPONDER)).toBeUndefined();
    expect(nearMissRole(local("IncidentResp"), RESPONDER)).toBeUndefined();
    expect(nearMissRole(local("Opz"), ["arn:aws:iam::*:role/Ops"])).toBeUndefined();
    expect(nearMissRole(local("IncidentLeads"), ["arn:aws:iam::*:role/Incident*"])).toBeUndefined();
    expect(nearMissRole(local("IncidentResponder"), ["arn:aws:iam::123456789012:role/IncidentResponder"])).toBeUndefined();
  });

  it("checkAnswer's not-allowed refusal carries it, locally and for an assumed role in AWS", () => {
    const step = approval({ approvers: RESPONDER });
    const typo = { identities: {} };
    const refused = checkAnswer(step, { kind: "approve", caller: localIdentity("root", ["IncidentResponders"], typo), reason: "ok", digest: DIGEST.slice(0, 12) }, at(60));
    expect(refused).toEqual({ ok: false, refusal: { code: "not-allowed", message: "root may not answer contain/isolate-the-instance; allowed: arn:aws:iam::*:role/IncidentResponder (did you mean IncidentResponder?)" } });
    const none = checkAnswer(step, { kind: "reject", caller: localIdentity("root", [], typo), reason: "no" }, at(60));
    expect(none).toMatchObject({ ok: false, refusal: { code: "not-allowed", message: expect.not.stringContaining("did you mean") } });
    const lead = approval();
    expect(checkAnswer(lead, { kind: "reject", caller: responder("bob"), reason: "no" }, at(60))).toMatchObject({ refusal: { message: expect.not.stringContaining("did you mean") } });
  });
});
