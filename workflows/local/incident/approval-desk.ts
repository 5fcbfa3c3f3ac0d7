import { randomUUID } from "node:crypto";
import { answerEntry, expiredEntry, remindedEntry, requestedEntry, withdrawnEntry } from "../../../functions/approval/approval-audit.js";
import { approvalNotice } from "../../../functions/approval/approval-message.js";
import { approvalOutput, newApproval, reminderDue, type ApprovalRequest, type ApprovalView, type Vote } from "../../../functions/approval/approval.js";
import { ApprovalRefused, checkAnswer, type AnswerCheck } from "../../../functions/approval/check-answer.js";
import type { Identity } from "../../../functions/approval/identity.js";
import requestApprovalContract from "../../../functions/approval/request-approval.contract.js";
import { NO_AUDIT, type AuditAppender, type AuditEntryInput } from "../../../functions/audit/audit-port.js";
import type { Change } from "../../../functions/contract/changes.js";
import { TaskError } from "../../../functions/contract/errors.js";
import { formatIssues } from "../../../functions/runtime/execute-task.js";
import { afterMicrotasks } from "../after-microtasks.js";
import { MemoryDeskStore, type DeskStore } from "./desk-store.js";
import { LOCAL_ACTOR } from "./incident-record.js";

export { ApprovalRefused } from "../../../functions/approval/check-answer.js";
export type { ApprovalRequest } from "../../../functions/approval/approval.js";
export const ApprovalRequestSchema = requestApprovalContract.input;

export type ApprovalPolicy = "auto" | "manual";

/** Who answers a callback task: the engine's SendTaskSuccess / SendTaskFailure. */
export interface TaskAnswerPort {
  sendTaskSuccess(token: string, output: unknown): void;
  sendTaskFailure(token: string, error: string, cause?: string): void;
  /** Whether the engine still waits on this token (false once the task timed out or stopped). */
  isWaiting?(token: string): boolean;
}

/** A pending approval as responders see it: everything but the task token. */
export type PendingApproval = ApprovalView;

export interface ApprovalDecision {
  readonly id: string;
  readonly incidentId: string;
  readonly stepId: string;
  /** `recorded`: the first approval of a two-person step; the workflow waits for the second. */
  readonly decision: "approved" | "rejected" | "recorded";
  readonly by: readonly string[];
  readonly reason: string;
  readonly decidedAt: string;
}

export interface Answer {
  /** Who answers: locally resolved from `--as` and the identities file. */
  readonly as: Identity;
  readonly reason?: string;
  /** The plan digest (or its first 12+ hex characters) the answerer reviewed; needed to approve. */
  readonly digest?: string;
}

/** Who aborted the incident whose approvals are withdrawn, and why (the abort order's). */
export interface Withdrawing {
  readonly by: string;
  readonly reason: string;
}

/**
 * What this process did to an approval, told as it happens: asked for it, recorded a vote that did
 * not decide (a two-person step's first), or ended it (resumed the workflow with a decision, made
 * here or in another process; expired it; withdrew it). The approval as the store has it then.
 */
export interface ApprovalEvent {
  readonly kind: "requested" | "voted" | "ended";
  readonly approval: ApprovalView;
}

/** What the requesting side knows besides the request: who asked, and the plan's changes. */
export interface RequestContext {
  readonly requester: string;
  /** Per plan (in order), its changes with before/after when the journal has them. */
  readonly details?: readonly (readonly Change[] | undefined)[];
}

/**
 * Where approval requests wait for a human (DESIGN.md §6). The token stays inside the desk:
 * reads never return it; every answer goes through `checkAnswer` and is audited, accepted or not.
 */
export interface ApprovalDesk {
  /** Stores a request; with `auto` it is approved at once (after the callback has been handed over). */
  request(request: ApprovalRequest, policy: ApprovalPolicy, context?: RequestContext): Promise<{ approvalId: string }>;
  list(filter?: { readonly incidentId?: string }): Promise<PendingApproval[]>;
  get(id: string): Promise<ApprovalView | undefined>;
  /** Resolves with what the answer did; rejects with ApprovalRefused (its `code` says why). */
  approve(id: string, answer: Answer): Promise<ApprovalDecision>;
  reject(id: string, answer: Answer): Promise<ApprovalDecision>;
  /** Reminders at 80% of the wait, expiry after the deadline; the runner calls it on a timer. */
  sweep(): Promise<void>;
  /**
   * For a desk that watches for what happens outside its own calls (answers from other processes,
   * waits the engine ended): settles once a look begun after the call has finished, so the runner
   * can have an ended wait audited before a run returns.
   */
  poll?(): Promise<void>;
  /**
   * The executions are being aborted: their approvals close as withdrawn, with who and why, never
   * as expired: pending ones, and answered ones whose workflow was not resumed yet (the answer came
   * too late). Each withdrawn approval's audit entry is queued before this returns (so ahead of the
   * stops' entries); the promise settles once they are durable. The desk remembers the executions:
   * an approval one of them requests afterwards (its handler was already running) is withdrawn at once.
   */
  withdraw?(executionArns: readonly string[], withdrawing: Withdrawing): Promise<void>;
  /** Stops watching the store for answers from other processes. */
  close(): void;
  /**
   * Tells `listener` of each ApprovalEvent of this process, synchronously, in order; returns the
   * way to stop. A vote cast in another process that resumes nothing is not told (the store has it).
   */
  subscribe?(listener: (event: ApprovalEvent) => void): () => void;
}

export const AUTO_APPROVER = "irflow-local (auto-approve)";
const SWEEP_ACTOR = "system:approval-sweep";
/** How often a desk that waits looks for answers written by another process. */
export const DEFAULT_POLL_MS = 50;

export interface LocalApprovalDeskOptions {
  readonly store: DeskStore;
  /** The engine of this process; absent in a responder's process, which only writes decisions. */
  readonly answers?: TaskAnswerPort;
  readonly now?: () => Date;
  readonly audit?: AuditAppender;
  /** Told of every notice (request, reminder) with its text; locally the CLI may print it. */
  readonly onNotice?: (approval: ApprovalView, notice: { subject: string; message: string }) => void;
  /** Poll interval for answers from other processes; 0 turns polling off. Default 50 ms. */
  readonly pollMs?: number;
  readonly newId?: () => string;
}

/**
 * The local desk over a store: the checks of `checkAnswer`, conditional writes, and the engine
 * resumed by whichever side holds it. An answer from another process is noticed by polling the
 * store while this desk has approvals waiting.
 */
export class LocalApprovalDesk implements ApprovalDesk {
  private readonly now: () => Date;
  private readonly audit: AuditAppender;
  /** Approvals this desk requested and whose workflow it has not resumed (only with an engine). */
  private readonly waiting = new Map<string, { readonly token: string; readonly approval: ApprovalView }>();
  /** Executions this desk was told are aborted, with who and why: their approvals are withdrawn, never resumed or expired. */
  private readonly aborted = new Map<string, Withdrawing>();
  private timer: ReturnType<typeof setInterval> | undefined;
  /** The look under way, and the one queued behind it for the callers that came during it. */
  private polling: Promise<void> | undefined;
  private pollAgain: Promise<void> | undefined;
  private readonly listeners = new Set<(event: ApprovalEvent) => void>();

  constructor(private readonly options: LocalApprovalDeskOptions) {
    this.now = options.now ?? (() => new Date());
    this.audit = options.audit ?? NO_AUDIT;
  }

  async request(request: ApprovalRequest, policy: ApprovalPolicy, context: RequestContext = { requester: "manual:unknown" }): Promise<{ approvalId: string }> {
    const id = this.options.newId?.() ?? `apr-${randomUUID()}`;
    const approval = newApproval(request, { id, requester: context.requester, now: this.now(), ...(context.details ? { details: context.details } : {}) });
    this.options.store.insert(approval, request.taskToken);
    const aborted = this.aborted.get(approval.executionId);
    if (aborted) {
      // Its execution was aborted while the handler was on its way here (the engine does not stop a
      // running handler): closed at once, before anyone could answer it, and audited as withdrawn.
      const closed = this.withdrawOne(id, aborted, this.now());
      await this.append(approval.incidentId, requestedEntry(approval, `function:${requestApprovalContract.name}`));
      if (closed) await this.append(approval.incidentId, closed);
      return { approvalId: id };
    }
    if (this.options.answers) this.waiting.set(id, { token: request.taskToken, approval });
    // Told with the insert, before any await: nothing that ends it (another process's answer, found
    // by a look) can be told first.
    this.tell("requested", approval);
    await this.append(approval.incidentId, requestedEntry(approval, `function:${requestApprovalContract.name}`));
    this.options.onNotice?.(approval, approvalNotice(approval));
    if (policy === "auto") {
      // The engine records the hand-over (TaskSubmitted) when this returns, in the microtasks that
      // follow: answered once they have run, not a turn of the event loop later (every other
      // incident's work of that turn came first, up to ~10 ms before containment went on).
      afterMicrotasks(() => void this.autoApprove(id).catch(() => undefined));
    } else {
      this.startPolling();
    }
    return { approvalId: id };
  }

  list(filter: { readonly incidentId?: string } = {}): Promise<PendingApproval[]> {
    return Promise.resolve(this.options.store.pending(filter));
  }

  get(id: string): Promise<ApprovalView | undefined> {
    return Promise.resolve(this.options.store.view(id));
  }

  approve(id: string, answer: Answer): Promise<ApprovalDecision> {
    return this.answer(id, "approve", answer);
  }

  reject(id: string, answer: Answer): Promise<ApprovalDecision> {
    return this.answer(id, "reject", answer);
  }

  async sweep(): Promise<void> {
    const now = this.now();
    for (const approval of this.options.store.pending()) {
      const aborted = this.aborted.get(approval.executionId);
      if (aborted) {
        // Its execution was aborted and the withdrawal's write failed: withdrawn now, never expired.
        const closed = this.withdrawOne(approval.id, aborted, now);
        this.waiting.delete(approval.id);
        if (closed) await this.append(approval.incidentId, closed);
      } else if (now.getTime() >= Date.parse(approval.deadline)) {
        await this.expire(approval, now);
      } else if (approval.remindedAt === undefined && now >= reminderDue(approval) && this.options.store.markReminded(approval.id, now)) {
        await this.append(approval.incidentId, remindedEntry(approval, now, SWEEP_ACTOR));
        this.options.onNotice?.(approval, approvalNotice(approval, "reminder"));
      }
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async answer(id: string, kind: "approve" | "reject", answer: Answer): Promise<ApprovalDecision> {
    // A lost race is checked again against what won: a second approver of a two-person step
    // still counts, the same person or a decided approval is refused.
    for (let attempt = 0; ; attempt += 1) {
      const now = this.now();
      const approval = this.options.store.view(id);
      const check = checkAnswer(approval, { kind, caller: answer.as, reason: answer.reason, digest: answer.digest }, now);
      if (!check.ok || !approval) return this.refused(approval, id, kind, answer.as.actor, check, now);
      if (this.options.store.vote(id, writeOf(check, approval), now)) {
        if (!check.complete) {
          this.tell("voted", id);
          await this.append(approval.incidentId, answerEntry(approval, id, kind, answer.as.actor, check, now));
          return decisionOf(approval, "recorded", check.votes, now);
        }
        const final = { ...approval, status: check.decision, votes: check.decision === "approved" ? [...check.votes] : approval.votes } satisfies ApprovalView;
        // Audited once the engine took it: an answer after the timeout is a refusal, not an approval.
        await this.resume(id, final, check.votes, now, { actor: answer.as.actor, kind });
        await this.append(approval.incidentId, answerEntry(approval, id, kind, answer.as.actor, check, now));
        return decisionOf(approval, check.decision, check.votes, now);
      }
      if (attempt >= 3) return this.refused(this.options.store.view(id), id, kind, answer.as.actor, { ok: false, refusal: { code: "already-decided", message: `approval ${id} changed while answering; look again` } }, now);
    }
  }

  private async refused(approval: ApprovalView | undefined, id: string, kind: "approve" | "reject", actor: string, check: AnswerCheck, now: Date): Promise<never> {
    if (check.ok) throw new Error("refused() needs a refusal");
    // An unknown id names no incident whose log could hold it.
    if (approval) await this.append(approval.incidentId, answerEntry(approval, id, kind, actor, check, now));
    throw ApprovalRefused.of(check.refusal);
  }

  /** Resumes the workflow if this desk holds the engine; a responder's process leaves it to the run's poll. */
  private async resume(id: string, approval: ApprovalView, votes: readonly Vote[], now: Date, answerer?: { readonly actor: string; readonly kind: "approve" | "reject" }): Promise<void> {
    const { answers } = this.options;
    if (!answers || !this.waiting.has(id)) return;
    const token = this.options.store.claimResume(id, now);
    this.waiting.delete(id);
    if (token === undefined) return;
    try {
      if (approval.status === "approved") answers.sendTaskSuccess(token, approvalOutput(approval, votes, now.toISOString()));
      else answers.sendTaskFailure(token, "Rejected", `rejected by ${votes.map((v) => v.by).join(", ")}: ${votes.map((v) => v.reason).join("; ")}`);
    } catch (error) {
      if (error instanceof Error && (error.name === "TaskTimedOut" || error.name === "TaskDoesNotExist" || /TaskTimedOut|TaskDoesNotExist/.test(error.message))) {
        // The wait ended first (timeout): the decision came too late to count.
        this.options.store.markExpired(id, now, true);
        this.tell("ended", id);
        const late = new ApprovalRefused("expired", `approval ${id} expired before the answer reached the workflow (it took its on-timeout path)`);
        if (answerer) await this.append(approval.incidentId, answerEntry(approval, id, answerer.kind, answerer.actor, { ok: false, refusal: late }, now));
        await this.append(approval.incidentId, expiredEntry(approval, now, SWEEP_ACTOR));
        throw late;
      }
      throw error;
    }
    this.tell("ended", id);
  }

  private async autoApprove(id: string): Promise<void> {
    const approval = this.options.store.view(id);
    if (!approval || approval.status !== "pending") return;
    const now = this.now();
    const vote: Vote = { by: AUTO_APPROVER, reason: "approvals: auto (local run)", at: now.toISOString() };
    if (!this.options.store.vote(id, { votes: [vote], expectedVotes: approval.votes.length, decision: { status: "approved", at: now.toISOString() } }, now)) return;
    await this.append(approval.incidentId, { kind: "approval.approved", actor: AUTO_APPROVER, at: now.toISOString(), body: { approvalId: id, stepId: approval.stepId, digest: approval.digest, reason: vote.reason, auto: true } });
    await this.resume(id, { ...approval, status: "approved", votes: [vote] }, [vote], now);
  }

  withdraw(executionArns: readonly string[], withdrawing: Withdrawing): Promise<void> {
    for (const arn of executionArns) if (!this.aborted.has(arn)) this.aborted.set(arn, { by: withdrawing.by, reason: withdrawing.reason });
    const at = this.now();
    const audited: Promise<void>[] = [];
    for (const [id, { approval }] of this.waiting) {
      // Who aborted its execution first (an earlier abort whose withdrawal failed keeps its own).
      const aborted = this.aborted.get(approval.executionId);
      if (!aborted) continue;
      // One answered meanwhile but not resumed is withdrawn too: its answer can no longer reach the
      // workflow. A store that fails leaves the approval watched: a later look withdraws it then.
      try {
        const closed = this.withdrawOne(id, aborted, at);
        // No longer watched, so the closed token is not taken for a wait that ran out.
        this.waiting.delete(id);
        if (closed) audited.push(this.append(approval.incidentId, closed));
      } catch (error) {
        audited.push(Promise.reject(error instanceof Error ? error : new Error(String(error))));
      }
    }
    return Promise.all(audited).then(() => undefined);
  }

  /** Withdraws an approval in the store; its audit entry (from the store's view: votes, a late answer) if this call closed it. */
  private withdrawOne(id: string, { by, reason }: Withdrawing, at: Date): AuditEntryInput | undefined {
    if (!this.options.store.markWithdrawn(id, { at, by, reason })) return undefined;
    const closed = this.options.store.view(id);
    if (closed) this.tell("ended", closed);
    return closed?.withdrawal ? withdrawnEntry(closed, closed.withdrawal, LOCAL_ACTOR) : undefined;
  }

  private async expire(approval: ApprovalView, now: Date): Promise<void> {
    if (!this.options.store.markExpired(approval.id, now)) return;
    this.waiting.delete(approval.id);
    this.tell("ended", approval.id);
    await this.append(approval.incidentId, expiredEntry(approval, now, SWEEP_ACTOR));
  }

  private startPolling(): void {
    const pollMs = this.options.pollMs ?? DEFAULT_POLL_MS;
    if (this.timer || pollMs <= 0 || !this.options.answers) return;
    // A store that fails (closed, removed) ends the watch rather than failing every tick.
    this.timer = setInterval(() => void this.poll().catch(() => this.close()), pollMs);
    this.timer.unref();
  }

  /**
   * Resumes what another process decided; notices a wait the engine ended (timeout). A call during
   * a look joins one more look after it (the look under way may have passed that wait already),
   * never a second look at the same time.
   */
  poll(): Promise<void> {
    if (this.polling) {
      const again = () => {
        this.pollAgain = undefined;
        return this.poll();
      };
      this.pollAgain ??= this.polling.then(again, again);
      return this.pollAgain;
    }
    const look = this.look().finally(() => {
      this.polling = undefined;
    });
    this.polling = look;
    return look;
  }

  private async look(): Promise<void> {
    const now = this.now();
    for (const id of this.options.store.decidedUnresumed([...this.waiting.keys()])) {
      const approval = this.options.store.view(id);
      // An aborted execution's approval is never resumed: it is withdrawn below.
      if (!approval || this.aborted.has(approval.executionId)) continue;
      const votes = approval.status === "rejected" && approval.rejection ? [approval.rejection] : approval.votes;
      await this.resume(id, approval, votes, now).catch(() => undefined);
    }
    const { answers } = this.options;
    for (const [id, { token, approval }] of this.waiting) {
      const aborted = this.aborted.get(approval.executionId);
      if (aborted) {
        // Still watched after its execution was aborted (the withdrawal's write failed): withdrawn
        // now, not expired (a failure here ends this look; the next one tries again).
        const closed = this.withdrawOne(id, aborted, now);
        this.waiting.delete(id);
        if (closed) await this.append(approval.incidentId, closed);
        continue;
      }
      if (!answers?.isWaiting || answers.isWaiting(token)) continue;
      // The store's view, not the copy taken at the request: it has the votes cast since.
      const current = this.options.store.view(id);
      if (current?.status === "pending") await this.expire(current, now);
    }
    if (this.waiting.size === 0) this.close();
  }

  subscribe(listener: (event: ApprovalEvent) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Read from the store only when someone listens; a listener (or that read) that fails never fails the desk's work. */
  private tell(kind: ApprovalEvent["kind"], approval: ApprovalView | string): void {
    if (this.listeners.size === 0) return;
    try {
      const view = typeof approval === "string" ? this.options.store.view(approval) : approval;
      if (!view) return;
      for (const listener of [...this.listeners]) {
        try {
          listener({ kind, approval: view });
        } catch {
          // A display's failure is its own.
        }
      }
    } catch {
      // The store's read failed: the watch's poll finds the same later.
    }
  }

  private async append(incidentId: string, entry: AuditEntryInput): Promise<void> {
    await this.audit.append(incidentId, entry);
  }
}

function writeOf(check: Extract<AnswerCheck, { ok: true }>, approval: ApprovalView) {
  const at = check.vote.at;
  if (check.decision === "rejected") return { votes: approval.votes, expectedVotes: approval.votes.length, decision: { status: "rejected" as const, at, rejection: check.vote } };
  return { votes: check.votes, expectedVotes: approval.votes.length, ...(check.complete ? { decision: { status: "approved" as const, at } } : {}) };
}

function decisionOf(approval: ApprovalView, decision: ApprovalDecision["decision"], votes: readonly Vote[], now: Date): ApprovalDecision {
  return {
    id: approval.id,
    incidentId: approval.incidentId,
    stepId: approval.stepId,
    decision,
    by: votes.map((vote) => vote.by),
    reason: votes.map((vote) => vote.reason).join("; "),
    decidedAt: now.toISOString(),
  };
}

export interface MemoryApprovalDeskOptions extends Omit<LocalApprovalDeskOptions, "store"> {
  readonly answers: TaskAnswerPort;
}

/** The desk in process memory: the same checks, for runs without the embedded database. */
export class MemoryApprovalDesk extends LocalApprovalDesk {
  constructor(options: MemoryApprovalDeskOptions) {
    super({ pollMs: DEFAULT_POLL_MS, ...options, store: new MemoryDeskStore() });
  }
}

/** Parses the flat callback payload of `approval.request`. */
export function parseApprovalRequest(payload: unknown): ApprovalRequest {
  const parsed = ApprovalRequestSchema.safeParse(payload);
  if (!parsed.success) throw new TaskError("InvalidInput", `approval.request: ${formatIssues(parsed.error.issues)}`);
  return parsed.data;
}
