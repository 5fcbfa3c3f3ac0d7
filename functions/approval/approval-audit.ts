import type { AuditEntryInput } from "../audit/audit-port.js";
import type { ApprovalView, Vote, Withdrawal } from "./approval.js";
import type { AnswerCheck, Refusal } from "./check-answer.js";
import { auditKindOf } from "./check-answer.js";

/** Audit entries of the approval life cycle; never the task token. */

function about(approval: ApprovalView) {
  return { approvalId: approval.id, stepId: approval.stepId, task: approval.task, digest: approval.digest };
}

export function requestedEntry(approval: ApprovalView, actor: string): AuditEntryInput {
  return {
    kind: "approval.requested",
    actor,
    at: approval.requestedAt,
    body: {
      ...about(approval),
      requester: approval.requester,
      approvers: approval.approvers,
      requiredApprovals: approval.requiredApprovals,
      deadline: approval.deadline,
      escalation: approval.escalation,
      plans: approval.plans.map((plan) => ({ digest: plan.digest, summary: plan.summary, changes: plan.changes })),
    },
  };
}

/** One answer, whatever came of it: approved, rejected, a first vote recorded, or refused (with why). */
export function answerEntry(approval: ApprovalView | undefined, approvalId: string, kind: "approve" | "reject", actor: string, check: AnswerCheck, at: Date): AuditEntryInput {
  const base = approval ? about(approval) : { approvalId };
  if (!check.ok) return refusedEntry(base, kind, actor, check.refusal, at);
  return { kind: auditKindOf(check), actor, at: at.toISOString(), body: { ...base, reason: check.vote.reason, approvers: check.votes.map((vote) => vote.by), complete: check.complete, authority: check.votes.map(authorityOf) } };
}

/** Who answered under which of the step's approver principals, and what vouches for them. */
function authorityOf(vote: Vote): Record<string, unknown> {
  return { by: vote.by, as: vote.as ?? [], ...(vote.vouchedBy ? { vouchedBy: vote.vouchedBy } : {}) };
}

export function refusedEntry(base: Record<string, unknown>, kind: "approve" | "reject", actor: string, refusal: Refusal, at: Date): AuditEntryInput {
  return { kind: "approval.refused", actor, at: at.toISOString(), body: { ...base, answer: kind, refusal: refusal.code, reason: refusal.message } };
}

export function expiredEntry(approval: ApprovalView, at: Date, actor = "system:approval-sweep"): AuditEntryInput {
  return { kind: "approval.expired", actor, at: at.toISOString(), body: { ...about(approval), deadline: approval.deadline, onTimeout: approval.onTimeout, votes: approval.votes.map((vote: Vote) => vote.by) } };
}

export function remindedEntry(approval: ApprovalView, at: Date, actor = "system:approval-sweep"): AuditEntryInput {
  return { kind: "approval.reminded", actor, at: at.toISOString(), body: { ...about(approval), deadline: approval.deadline, approvers: approval.approvers } };
}

/**
 * An approval closed because its incident was aborted: who aborted it and why (actor: the process
 * that stopped it), the votes it had, and an answer that came too late to reach the workflow.
 * `approval` is the store's view after the withdrawal (a copy taken at the request has no votes).
 */
export function withdrawnEntry(approval: ApprovalView, withdrawal: Withdrawal, actor: string): AuditEntryInput {
  const body = { ...about(approval), executionId: approval.executionId, by: withdrawal.by, reason: withdrawal.reason, votes: approval.votes.map((vote: Vote) => vote.by) };
  return { kind: "approval.withdrawn", actor, at: withdrawal.at, body: withdrawal.answer ? { ...body, answer: withdrawal.answer } : body };
}
