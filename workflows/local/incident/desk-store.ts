import type { ApprovalView, LateAnswer, Vote, Withdrawal } from "../../../functions/approval/approval.js";

/** What a vote does to a pending approval once it lands. */
export interface VoteWrite {
  readonly votes: readonly Vote[];
  /** How many votes the approval had when the caller checked: the write lands only if still so. */
  readonly expectedVotes: number;
  /** Set when this vote decides the approval. */
  readonly decision?: { readonly status: "approved" | "rejected"; readonly at: string; readonly rejection?: Vote };
}

/**
 * Where a local desk keeps approvals: process memory, or the embedded database shared with a
 * responder's terminal. Every write is conditional, so two racing answers resolve once.
 */
export interface DeskStore {
  insert(approval: ApprovalView, taskToken: string): void;
  view(approvalId: string): ApprovalView | undefined;
  /** Pending approvals, oldest first; of one incident if given. */
  pending(filter?: { readonly incidentId?: string }): ApprovalView[];
  /** Lands only while the approval is pending, before its deadline and with `expectedVotes` votes. */
  vote(approvalId: string, write: VoteWrite, now: Date): boolean;
  /** Of these approvals, the ones decided (by anyone) whose workflow has not been resumed yet. */
  decidedUnresumed(approvalIds: readonly string[]): string[];
  /** Takes the token to resume the workflow: once per approval, whoever asks first. */
  claimResume(approvalId: string, at: Date): string | undefined;
  /** Marks a pending approval reminded; false when it was already (or is no longer pending). */
  markReminded(approvalId: string, at: Date): boolean;
  /**
   * Marks an approval expired: pending ones, or (`force`) a decision the workflow could no longer
   * take. A withdrawn approval stays withdrawn.
   */
  markExpired(approvalId: string, at: Date, force?: boolean): boolean;
  /**
   * Closes an approval because its incident was aborted (who, why, when): a pending one, or one
   * answered whose workflow was not resumed yet (the answer can no longer reach it: the view keeps
   * it as `withdrawal.answer`, and the votes). False otherwise (resumed, expired, withdrawn, unknown).
   */
  markWithdrawn(approvalId: string, withdrawal: WithdrawalWrite): boolean;
}

export interface WithdrawalWrite {
  readonly at: Date;
  readonly by: string;
  readonly reason: string;
}

interface Entry {
  approval: ApprovalView;
  readonly token: string;
  resumed: boolean;
}

/** The desk store in process memory (tests, runs without the embedded database). */
export class MemoryDeskStore implements DeskStore {
  private readonly entries = new Map<string, Entry>();

  insert(approval: ApprovalView, taskToken: string): void {
    if (this.entries.has(approval.id)) throw new Error(`approval ${approval.id} already exists`);
    this.entries.set(approval.id, { approval: structuredClone(approval), token: taskToken, resumed: false });
  }

  view(approvalId: string): ApprovalView | undefined {
    const entry = this.entries.get(approvalId);
    return entry ? structuredClone(entry.approval) : undefined;
  }

  pending(filter: { readonly incidentId?: string } = {}): ApprovalView[] {
    return [...this.entries.values()]
      .map((entry) => entry.approval)
      .filter((a) => a.status === "pending" && (filter.incidentId === undefined || a.incidentId === filter.incidentId))
      .sort((a, b) => a.requestedAt.localeCompare(b.requestedAt))
      .map((a) => structuredClone(a));
  }

  vote(approvalId: string, write: VoteWrite, now: Date): boolean {
    const entry = this.entries.get(approvalId);
    if (!entry || entry.approval.status !== "pending" || entry.approval.votes.length !== write.expectedVotes || now.getTime() >= Date.parse(entry.approval.deadline)) return false;
    const { decision } = write;
    entry.approval = {
      ...entry.approval,
      votes: [...write.votes],
      ...(decision ? { status: decision.status, decidedAt: decision.at, ...(decision.rejection ? { rejection: decision.rejection } : {}) } : {}),
    };
    return true;
  }

  decidedUnresumed(approvalIds: readonly string[]): string[] {
    return approvalIds.filter((id) => {
      const entry = this.entries.get(id);
      return entry !== undefined && !entry.resumed && (entry.approval.status === "approved" || entry.approval.status === "rejected");
    });
  }

  claimResume(approvalId: string): string | undefined {
    const entry = this.entries.get(approvalId);
    if (!entry || entry.resumed || entry.approval.status === "pending") return undefined;
    entry.resumed = true;
    return entry.token;
  }

  markReminded(approvalId: string, at: Date): boolean {
    const entry = this.entries.get(approvalId);
    if (!entry || entry.approval.status !== "pending" || entry.approval.remindedAt !== undefined) return false;
    entry.approval = { ...entry.approval, remindedAt: at.toISOString() };
    return true;
  }

  markExpired(approvalId: string, at: Date, force = false): boolean {
    const entry = this.entries.get(approvalId);
    if (!entry || entry.approval.status === "expired" || entry.approval.status === "withdrawn" || (!force && entry.approval.status !== "pending")) return false;
    entry.approval = { ...entry.approval, status: "expired", decidedAt: at.toISOString() };
    entry.resumed = true;
    return true;
  }

  markWithdrawn(approvalId: string, { at, by, reason }: WithdrawalWrite): boolean {
    const entry = this.entries.get(approvalId);
    if (!entry) return false;
    const { status } = entry.approval;
    const answered = (status === "approved" || status === "rejected") && !entry.resumed;
    if (status !== "pending" && !answered) return false;
    const answer = answered ? lateAnswerOf(entry.approval) : undefined;
    const withdrawal: Withdrawal = { by, reason, at: at.toISOString(), ...(answer ? { answer } : {}) };
    const { rejection: _rejection, ...rest } = entry.approval;
    entry.approval = { ...rest, status: "withdrawn", decidedAt: withdrawal.at, withdrawal };
    // Its token is never handed out: the execution that waited on it is being stopped.
    entry.resumed = true;
    return true;
  }
}

/** The decision an answered approval holds, as the embedded store keeps it (approvers and reasons joined). */
export function lateAnswerOf(approval: ApprovalView): LateAnswer | undefined {
  if (approval.status === "rejected" && approval.rejection) return { decision: "rejected", by: approval.rejection.by, reason: approval.rejection.reason };
  if (approval.status !== "approved") return undefined;
  return { decision: "approved", by: approval.votes.map((vote) => vote.by).join(", "), reason: approval.votes.map((vote) => vote.reason).join(" | ") };
}
