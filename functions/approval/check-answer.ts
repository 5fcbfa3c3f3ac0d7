import { DIGEST_PREFIX_LENGTH, type ApprovalView, type Vote } from "./approval.js";
import { approverPrincipals, isAllowedApprover, isRequester, samePerson, type Identity } from "./identity.js";
import { nearMissRole } from "./role-hint.js";
import { withdrawalText } from "./withdrawal-text.js";

/** Why an answer was refused; each has its own message and HTTP status. */
export const REFUSAL_STATUS = {
  "not-found": 404,
  "already-decided": 409,
  expired: 410,
  withdrawn: 410,
  "not-allowed": 403,
  requester: 403,
  "digest-required": 400,
  "digest-mismatch": 409,
  "reason-required": 400,
  "duplicate-approver": 409,
} as const;
export type RefusalCode = keyof typeof REFUSAL_STATUS;

export interface Refusal {
  readonly code: RefusalCode;
  readonly message: string;
}

/** A refused answer, as the desks and the respond handler raise it. */
export class ApprovalRefused extends Error {
  override readonly name = "ApprovalRefused";
  constructor(
    readonly code: RefusalCode,
    message: string,
  ) {
    super(message);
  }

  static of(refusal: Refusal): ApprovalRefused {
    return new ApprovalRefused(refusal.code, refusal.message);
  }
}

export interface AnswerInput {
  readonly kind: "approve" | "reject";
  readonly caller: Identity;
  readonly reason?: string | undefined;
  /** The digest (or its first 12+ hex characters) the caller was shown; required to approve. */
  readonly digest?: string | undefined;
}

export type AnswerCheck =
  | {
      readonly ok: true;
      readonly vote: Vote;
      /** Every vote once this one counts (for a rejection, just this one). */
      readonly votes: readonly Vote[];
      /** True when this answer decides: a rejection, or the last approval needed. */
      readonly complete: boolean;
      readonly decision: "approved" | "rejected";
    }
  | { readonly ok: false; readonly refusal: Refusal };

const refuse = (code: RefusalCode, message: string): AnswerCheck => ({ ok: false, refusal: { code, message } });

/**
 * Decides whether one answer may count, in the order a responder can act on: the approval exists
 * and waits, its deadline has not passed, the caller may answer this step and did not ask for it,
 * the caller confirms the digest of the plan they saw, gives a reason, and has not already
 * approved it (a two-person step needs two different people). Pure: the stores apply the result
 * with a conditional write, so of two racing answers only one lands.
 */
export function checkAnswer(approval: ApprovalView | undefined, answer: AnswerInput, now: Date): AnswerCheck {
  if (!approval) return refuse("not-found", "no such approval (the id is unknown or forged)");
  if (approval.status === "expired") return refuse("expired", `approval ${approval.id} expired at ${approval.deadline}; the workflow took its on-timeout path (${approval.onTimeout})`);
  if (approval.status === "withdrawn") return refuse("withdrawn", withdrawnMessage(approval));
  if (approval.status !== "pending") return refuse("already-decided", `approval ${approval.id} was already ${approval.status}${approval.decidedAt ? ` at ${approval.decidedAt}` : ""}`);
  if (now.getTime() >= Date.parse(approval.deadline)) return refuse("expired", `approval ${approval.id} expired at ${approval.deadline}`);
  if (!isAllowedApprover(answer.caller, approval.approvers)) {
    const hint = nearMissRole(answer.caller.principals, approval.approvers);
    return refuse("not-allowed", `${answer.caller.actor} may not answer ${approval.stepId}; allowed: ${approval.approvers.join(", ")}${hint ? ` (${hint})` : ""}`);
  }
  if (answer.kind === "approve" && isRequester(answer.caller, approval.requester)) {
    return refuse("requester", `${answer.caller.actor} requested this step and cannot approve it; another approver must`);
  }
  if (answer.kind === "approve") {
    const digest = (answer.digest ?? "").trim().toLowerCase();
    if (!new RegExp(`^[0-9a-f]{${DIGEST_PREFIX_LENGTH},64}$`).test(digest)) {
      return refuse("digest-required", `confirm the plan you reviewed: give its digest (at least ${DIGEST_PREFIX_LENGTH} hex characters, shown with the approval)`);
    }
    if (!approval.digest.startsWith(digest)) {
      return refuse("digest-mismatch", `the digest ${digest} is not this approval's plan (${approval.digest.slice(0, DIGEST_PREFIX_LENGTH)}…); review the current plan and answer again`);
    }
  }
  const reason = (answer.reason ?? "").trim();
  if (reason === "") return refuse("reason-required", "give a reason (it goes to the audit log and the report)");
  if (answer.kind === "approve" && approval.votes.some((vote) => samePerson(vote.by, answer.caller.actor))) {
    return refuse("duplicate-approver", `${answer.caller.actor} has already approved ${approval.id} (as this or another role or spelling); it needs ${approval.requiredApprovals} different approvers`);
  }
  const vote: Vote = { by: answer.caller.actor, reason, at: now.toISOString(), as: approverPrincipals(answer.caller, approval.approvers), ...(answer.caller.vouchedBy ? { vouchedBy: answer.caller.vouchedBy } : {}) };
  if (answer.kind === "reject") return { ok: true, vote, votes: [vote], complete: true, decision: "rejected" };
  const votes = [...approval.votes, vote];
  return { ok: true, vote, votes, complete: votes.length >= approval.requiredApprovals, decision: "approved" };
}

/** Why a withdrawn approval takes no answer: who aborted the incident, and why. */
export function withdrawnMessage(approval: Pick<ApprovalView, "id" | "withdrawal">): string {
  const w = approval.withdrawal;
  return `approval ${approval.id} was withdrawn: ${withdrawalText(w?.by ?? "someone", w?.reason ?? "no reason recorded", w?.answer)}`;
}

/** The audit kind of an answer's outcome. */
export function auditKindOf(check: AnswerCheck): string {
  if (!check.ok) return "approval.refused";
  if (check.decision === "rejected") return "approval.rejected";
  return check.complete ? "approval.approved" : "approval.vote-recorded";
}
