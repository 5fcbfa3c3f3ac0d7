import type { ApprovalView, LateAnswer, Vote } from "../../../functions/approval/approval.js";
import type { DeskStore, VoteWrite, WithdrawalWrite } from "../incident/desk-store.js";
import type { JsonValue } from "../json.js";
import { fromColumn, toColumn, type EmbeddedDatabase } from "./embedded-database.js";

export type ApprovalStatus = "pending" | "approved" | "rejected" | "expired" | "withdrawn";

/** A request for approval as the run that waits on it creates it. */
export interface NewApproval {
  readonly approvalId: string;
  readonly incidentId: string;
  readonly stepId: string;
  /** ISO 8601. */
  readonly requestedAt: string;
  /** ISO 8601: an answer at or after this time is refused; `expire` marks it expired. */
  readonly deadline: string;
  /** Who may answer (identities or roles, as the runbook names them); checking them is the caller's. */
  readonly approvers: readonly string[];
  /** The plan the approvers are shown. */
  readonly plan: JsonValue;
  /** Digest of the plan: the answer applies to exactly this plan. */
  readonly digest: string;
  /** The callback token of the waiting task: stored, handed out only to the one who decides. */
  readonly taskToken: string;
}

/** An approval as anyone may read it: never the task token. */
export interface Approval {
  readonly approvalId: string;
  readonly incidentId: string;
  readonly stepId: string;
  readonly status: ApprovalStatus;
  readonly requestedAt: string;
  readonly deadline: string;
  readonly decidedAt?: string;
  readonly decidedBy?: string;
  readonly comment?: string;
  /** Status `withdrawn`: who aborted the incident, and why (`decidedAt` is when). */
  readonly withdrawnBy?: string;
  readonly withdrawnReason?: string;
  readonly approvers: readonly string[];
  readonly plan: JsonValue;
  readonly digest: string;
}

export interface Decision {
  readonly outcome: "approved" | "rejected";
  /** Who answered. */
  readonly by: string;
  readonly comment?: string;
}

export type DecideResult =
  /** This answer decided the approval: the caller resumes the waiting task with the token. */
  | { readonly decided: true; readonly approval: Approval; readonly taskToken: string }
  /** Another answer (or expiry) came first, the deadline has passed, or there is no such approval. */
  | { readonly decided: false; readonly reason: "not-found" | "already-decided" | "expired" | "withdrawn"; readonly approval?: Approval };

export interface ExpiredApproval {
  readonly approval: Approval;
  /** For failing the waiting task: expiry, like a decision, hands the token out once. */
  readonly taskToken: string;
}

interface ApprovalRow {
  approval_id: string;
  incident_id: string;
  step_id: string;
  status: ApprovalStatus;
  requested_at: string;
  deadline: string;
  decided_at: string | null;
  decided_by: string | null;
  comment: string | null;
  withdrawn_by: string | null;
  withdrawn_reason: string | null;
  approvers: string;
  plan: string;
  digest: string;
}

interface ViewRow {
  record: string | null;
  status: ApprovalStatus;
  decided_at: string | null;
  decided_by: string | null;
  comment: string | null;
  votes: string;
  reminded_at: string | null;
  withdrawn_by: string | null;
  withdrawn_reason: string | null;
}

/** Every column but the token: what reads select. */
const PUBLIC_COLUMNS = "approval_id, incident_id, step_id, status, requested_at, deadline, decided_at, decided_by, comment, withdrawn_by, withdrawn_reason, approvers, plan, digest";
/** What the desk's view reads. */
const VIEW_COLUMNS = "record, status, decided_at, decided_by, comment, votes, reminded_at, withdrawn_by, withdrawn_reason";

function millis(iso: string, what: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`sqlite approvals: ${what} ${iso} is not a time`);
  return ms;
}

function toApproval(row: ApprovalRow): Approval {
  return {
    approvalId: row.approval_id,
    incidentId: row.incident_id,
    stepId: row.step_id,
    status: row.status,
    requestedAt: row.requested_at,
    deadline: row.deadline,
    ...(row.decided_at === null ? {} : { decidedAt: row.decided_at }),
    ...(row.decided_by === null ? {} : { decidedBy: row.decided_by }),
    ...(row.comment === null ? {} : { comment: row.comment }),
    ...(row.withdrawn_by === null ? {} : { withdrawnBy: row.withdrawn_by }),
    ...(row.withdrawn_reason === null ? {} : { withdrawnReason: row.withdrawn_reason }),
    approvers: fromColumn<string[]>(row.approvers),
    plan: fromColumn<JsonValue>(row.plan),
    digest: row.digest,
  };
}

/**
 * Approvals in the embedded database, shared by the run that waits and the responder who answers
 * from another terminal. Deciding is one conditional UPDATE (`WHERE status = 'pending' AND
 * deadline > now`), so of two racing answers exactly one changes the row and gets the token.
 */
export class SqliteApprovals implements DeskStore {
  constructor(private readonly database: EmbeddedDatabase) {}

  // The desk's view (schema version 2): the whole request in `record`, votes, reminders and
  // whether the waiting run has been resumed, so a second process can answer and the run notice.

  insert(approval: ApprovalView, taskToken: string): void {
    this.database.db
      .prepare<[string, string, string, string, string, number, string, string, string, string, string, string, number]>(
        `INSERT INTO approvals (approval_id, incident_id, step_id, status, requested_at, deadline, deadline_ms, approvers, plan, digest, task_token, record, requester, required_approvals)
         VALUES (?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        approval.id,
        approval.incidentId,
        approval.stepId,
        approval.requestedAt,
        approval.deadline,
        millis(approval.deadline, "deadline"),
        toColumn(approval.approvers),
        toColumn(approval.plans),
        approval.digest,
        taskToken,
        toColumn({ ...approval, status: "pending", votes: [] }),
        approval.requester,
        approval.requiredApprovals,
      );
  }

  view(approvalId: string): ApprovalView | undefined {
    const row = this.database.db
      .prepare<[string], ViewRow>(`SELECT ${VIEW_COLUMNS} FROM approvals WHERE approval_id = ?`)
      .get(approvalId);
    return row ? toView(row) : undefined;
  }

  pending(filter: { readonly incidentId?: string } = {}): ApprovalView[] {
    const { db } = this.database;
    const columns = VIEW_COLUMNS;
    const rows =
      filter.incidentId === undefined
        ? db.prepare<[], ViewRow>(`SELECT ${columns} FROM approvals WHERE status = 'pending' AND record IS NOT NULL ORDER BY requested_at, rowid`).all()
        : db.prepare<[string], ViewRow>(`SELECT ${columns} FROM approvals WHERE status = 'pending' AND record IS NOT NULL AND incident_id = ? ORDER BY requested_at, rowid`).all(filter.incidentId);
    return rows.map(toView).filter((view): view is ApprovalView => view !== undefined);
  }

  /** Approvals of an incident answered (approved or rejected) whose workflow has not taken the answer, oldest first. */
  answeredUnresumed(incidentId: string): ApprovalView[] {
    return this.database.db
      .prepare<[string], ViewRow>(`SELECT ${VIEW_COLUMNS} FROM approvals WHERE status IN ('approved', 'rejected') AND resumed_at IS NULL AND record IS NOT NULL AND incident_id = ? ORDER BY requested_at, rowid`)
      .all(incidentId)
      .map(toView)
      .filter((view): view is ApprovalView => view !== undefined);
  }

  vote(approvalId: string, write: VoteWrite, now: Date): boolean {
    const { decision } = write;
    const decidedBy = decision?.rejection ? decision.rejection.by : write.votes.map((vote) => vote.by).join(", ");
    const comment = decision?.rejection ? decision.rejection.reason : write.votes.map((vote) => vote.reason).join(" | ");
    const result = this.database.db
      .prepare<[string, number, string | null, string | null, string | null, string | null, string, number, number]>(
        `UPDATE approvals SET votes = ?, vote_count = ?, status = coalesce(?, status), decided_at = coalesce(?, decided_at), decided_by = coalesce(?, decided_by), comment = coalesce(?, comment)
         WHERE approval_id = ? AND status = 'pending' AND vote_count = ? AND deadline_ms > ?`,
      )
      .run(
        toColumn(write.votes),
        write.votes.length,
        decision?.status ?? null,
        decision?.at ?? null,
        decision ? decidedBy : null,
        decision ? comment : null,
        approvalId,
        write.expectedVotes,
        now.getTime(),
      );
    return result.changes === 1;
  }

  decidedUnresumed(approvalIds: readonly string[]): string[] {
    if (approvalIds.length === 0) return [];
    const marks = approvalIds.map(() => "?").join(", ");
    return this.database.db
      .prepare<string[], { approval_id: string }>(`SELECT approval_id FROM approvals WHERE resumed_at IS NULL AND status IN ('approved', 'rejected') AND approval_id IN (${marks})`)
      .all(...approvalIds)
      .map((row) => row.approval_id);
  }

  claimResume(approvalId: string, at: Date): string | undefined {
    const row = this.database.db
      .prepare<[string, string], { task_token: string }>(
        "UPDATE approvals SET resumed_at = ? WHERE approval_id = ? AND resumed_at IS NULL AND status IN ('approved', 'rejected') RETURNING task_token",
      )
      .get(at.toISOString(), approvalId);
    return row?.task_token;
  }

  markReminded(approvalId: string, at: Date): boolean {
    return (
      this.database.db
        .prepare<[string, string]>("UPDATE approvals SET reminded_at = ? WHERE approval_id = ? AND status = 'pending' AND reminded_at IS NULL")
        .run(at.toISOString(), approvalId).changes === 1
    );
  }

  markExpired(approvalId: string, at: Date, force = false): boolean {
    const condition = force ? "status NOT IN ('expired', 'withdrawn')" : "status = 'pending'";
    return (
      this.database.db
        .prepare<[string, string, string]>(`UPDATE approvals SET status = 'expired', decided_at = ?, resumed_at = coalesce(resumed_at, ?) WHERE approval_id = ? AND ${condition}`)
        .run(at.toISOString(), at.toISOString(), approvalId).changes === 1
    );
  }

  markWithdrawn(approvalId: string, { at, by, reason }: WithdrawalWrite): boolean {
    // resumed_at too: the token of an execution being stopped is never handed out. An answered row
    // keeps its votes, decided_by and comment: the view reads them back as the answer that came too late.
    return (
      this.database.db
        .prepare<[string, string, string, string, string]>(
          `UPDATE approvals SET status = 'withdrawn', decided_at = ?, withdrawn_by = ?, withdrawn_reason = ?, resumed_at = coalesce(resumed_at, ?)
           WHERE approval_id = ? AND (status = 'pending' OR (status IN ('approved', 'rejected') AND resumed_at IS NULL))`,
        )
        .run(at.toISOString(), by, reason, at.toISOString(), approvalId).changes === 1
    );
  }

  /** Stores a pending approval; an id already used is an error. */
  createPending(approval: NewApproval): Approval {
    const deadlineMs = millis(approval.deadline, "deadline");
    millis(approval.requestedAt, "requestedAt");
    this.database.db
      .prepare<[string, string, string, string, string, number, string, string, string, string]>(
        `INSERT INTO approvals (approval_id, incident_id, step_id, status, requested_at, deadline, deadline_ms, approvers, plan, digest, task_token)
         VALUES (?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(approval.approvalId, approval.incidentId, approval.stepId, approval.requestedAt, approval.deadline, deadlineMs, toColumn(approval.approvers), toColumn(approval.plan), approval.digest, approval.taskToken);
    return this.get(approval.approvalId)!;
  }

  /** Pending approvals, oldest request first; of one incident if given. No tokens. */
  listPending(filter: { readonly incidentId?: string } = {}): Approval[] {
    const { db } = this.database;
    const rows =
      filter.incidentId === undefined
        ? db.prepare<[], ApprovalRow>(`SELECT ${PUBLIC_COLUMNS} FROM approvals WHERE status = 'pending' ORDER BY requested_at, rowid`).all()
        : db.prepare<[string], ApprovalRow>(`SELECT ${PUBLIC_COLUMNS} FROM approvals WHERE status = 'pending' AND incident_id = ? ORDER BY requested_at, rowid`).all(filter.incidentId);
    return rows.map(toApproval);
  }

  /** One approval, whatever its status. No token. */
  get(approvalId: string): Approval | undefined {
    const row = this.database.db.prepare<[string], ApprovalRow>(`SELECT ${PUBLIC_COLUMNS} FROM approvals WHERE approval_id = ?`).get(approvalId);
    return row ? toApproval(row) : undefined;
  }

  /** Answers a pending approval before its deadline; exactly one of racing answers decides. */
  decide(approvalId: string, decision: Decision, options: { readonly now: Date }): DecideResult {
    const now = options.now;
    const won = this.database.db
      .prepare<[string, string, string, string | null, string, number], { task_token: string }>(
        `UPDATE approvals SET status = ?, decided_at = ?, decided_by = ?, comment = ?
         WHERE approval_id = ? AND status = 'pending' AND deadline_ms > ?
         RETURNING task_token`,
      )
      .get(decision.outcome, now.toISOString(), decision.by, decision.comment ?? null, approvalId, now.getTime());
    const approval = this.get(approvalId);
    if (won) return { decided: true, approval: approval!, taskToken: won.task_token };
    if (!approval) return { decided: false, reason: "not-found" };
    const reason = approval.status === "withdrawn" ? "withdrawn" : approval.status === "pending" || approval.status === "expired" ? "expired" : "already-decided";
    return { decided: false, reason, approval };
  }

  /** Marks every pending approval whose deadline has come as expired; returns those this call expired. */
  expire(now: Date): ExpiredApproval[] {
    return this.database.immediate(() => {
      const rows = this.database.db
        .prepare<[string, number], ApprovalRow & { task_token: string }>(
          `UPDATE approvals SET status = 'expired', decided_at = ?
           WHERE status = 'pending' AND deadline_ms <= ?
           RETURNING ${PUBLIC_COLUMNS}, task_token`,
        )
        .all(now.toISOString(), now.getTime());
      return rows.map((row) => ({ approval: toApproval(row), taskToken: row.task_token })).sort((a, b) => a.approval.requestedAt.localeCompare(b.approval.requestedAt));
    });
  }
}

/** The desk's view of a row; rows written by `createPending` alone (no request) have none. */
function toView(row: ViewRow): ApprovalView | undefined {
  if (row.record === null) return undefined;
  const base = fromColumn<ApprovalView>(row.record);
  const votes = fromColumn<Vote[]>(row.votes);
  const rejection = row.status === "rejected" && row.decided_by !== null && row.decided_at !== null ? { by: row.decided_by, reason: row.comment ?? "", at: row.decided_at } : undefined;
  const answer = row.status === "withdrawn" ? lateAnswerOf(row, votes, base.requiredApprovals) : undefined;
  const withdrawal = row.status === "withdrawn" && row.withdrawn_by !== null && row.decided_at !== null ? { by: row.withdrawn_by, reason: row.withdrawn_reason ?? "", at: row.decided_at, ...(answer ? { answer } : {}) } : undefined;
  return {
    ...base,
    status: row.status,
    votes,
    ...(row.decided_at === null ? {} : { decidedAt: row.decided_at }),
    ...(rejection ? { rejection } : {}),
    ...(withdrawal ? { withdrawal } : {}),
    ...(row.reminded_at === null ? {} : { remindedAt: row.reminded_at }),
  };
}

/**
 * The answer a withdrawn row had when the abort came: only an answer sets decided_by. A rejection
 * adds no vote and an approval is decided only with all its votes, so the vote count tells which.
 */
function lateAnswerOf(row: ViewRow, votes: readonly Vote[], requiredApprovals: number): LateAnswer | undefined {
  if (row.decided_by === null) return undefined;
  return { decision: votes.length >= requiredApprovals ? "approved" : "rejected", by: row.decided_by, reason: row.comment ?? "" };
}
