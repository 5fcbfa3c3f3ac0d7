import { randomUUID } from "node:crypto";
import type * as z from "zod";
import requestApprovalContract from "../../../functions/approval/request-approval.contract.js";
import { TaskError } from "../../../functions/contract/errors.js";
import { formatIssues } from "../../../functions/runtime/execute-task.js";

/** What the generated `Approve …` states send `approval.request`: the contract's input itself (flat), token included. */
export const ApprovalRequest = requestApprovalContract.input;
export type ApprovalRequest = z.output<typeof ApprovalRequest>;

export type ApprovalPolicy = "auto" | "manual";

/** Who answers a callback task: the engine's SendTaskSuccess / SendTaskFailure. */
export interface TaskAnswerPort {
  sendTaskSuccess(token: string, output: unknown): void;
  sendTaskFailure(token: string, error: string, cause?: string): void;
}

/** A pending approval as responders see it: everything but the task token. */
export interface PendingApproval {
  readonly id: string;
  readonly incidentId: string;
  readonly executionId: string;
  readonly runbookId: string;
  readonly stepId: string;
  readonly stepTitle: string;
  readonly task: string;
  readonly risk: string;
  readonly plans: readonly { readonly digest: string; readonly summary: string; readonly changes: number }[];
  readonly approvers: readonly string[];
  readonly requiredApprovals: number;
  readonly requestedAt: string;
  readonly deadline: string;
}

export interface ApprovalDecision {
  readonly id: string;
  readonly incidentId: string;
  readonly stepId: string;
  readonly decision: "approved" | "rejected";
  readonly by: readonly string[];
  readonly reason: string;
  readonly decidedAt: string;
}

export interface Answer {
  /** Who answers (an identity; locally a name). */
  readonly as: string;
  readonly reason: string;
}

/**
 * Where approval requests wait for a human (DESIGN.md §6). The token stays inside the desk:
 * `list()` never returns it, and an answer is single use.
 */
export interface ApprovalDesk {
  /** Stores a request; with `auto` it is approved at once (after the callback has been handed over). */
  request(request: ApprovalRequest, policy: ApprovalPolicy): Promise<{ approvalId: string }>;
  list(): Promise<PendingApproval[]>;
  approve(id: string, answer: Answer): Promise<ApprovalDecision>;
  reject(id: string, answer: Answer): Promise<ApprovalDecision>;
}

export const AUTO_APPROVER = "irflow-local (auto-approve)";

interface Stored {
  readonly pending: PendingApproval;
  readonly token: string;
}

export interface MemoryApprovalDeskOptions {
  readonly answers: TaskAnswerPort;
  readonly now?: () => Date;
  /** Told of every decision (the incident record keeps them). */
  readonly onDecision?: (decision: ApprovalDecision, approval: PendingApproval) => void;
}

/** The desk in process memory; a file-backed one lets a second terminal answer. */
export class MemoryApprovalDesk implements ApprovalDesk {
  private readonly waiting = new Map<string, Stored>();
  private readonly now: () => Date;

  constructor(private readonly options: MemoryApprovalDeskOptions) {
    this.now = options.now ?? (() => new Date());
  }

  request(request: ApprovalRequest, policy: ApprovalPolicy): Promise<{ approvalId: string }> {
    const id = `apr-${randomUUID()}`;
    const requestedAt = this.now();
    const pending: PendingApproval = {
      id,
      incidentId: request.incidentId,
      executionId: request.executionId,
      runbookId: request.runbookId,
      stepId: request.stepId,
      stepTitle: request.stepTitle,
      task: request.task,
      risk: request.risk,
      plans: request.plans.map((plan) => ({ digest: plan.digest, summary: plan.summary, changes: plan.changes })),
      approvers: [...request.approvers],
      requiredApprovals: request.requiredApprovals,
      requestedAt: requestedAt.toISOString(),
      deadline: new Date(requestedAt.getTime() + request.timeoutSeconds * 1000).toISOString(),
    };
    this.waiting.set(id, { pending, token: request.taskToken });
    if (policy === "auto") {
      // The engine records the hand-over (TaskSubmitted) when this returns; answer just after.
      setImmediate(() => {
        if (!this.waiting.has(id)) return;
        void this.approve(id, { as: AUTO_APPROVER, reason: "approvals: auto (local run)" }).catch(() => undefined);
      });
    }
    return Promise.resolve({ approvalId: id });
  }

  list(): Promise<PendingApproval[]> {
    return Promise.resolve([...this.waiting.values()].map(({ pending }) => structuredClone(pending)));
  }

  approve(id: string, answer: Answer): Promise<ApprovalDecision> {
    return this.decide(id, answer, "approved");
  }

  reject(id: string, answer: Answer): Promise<ApprovalDecision> {
    return this.decide(id, answer, "rejected");
  }

  private decide(id: string, answer: Answer, decision: ApprovalDecision["decision"]): Promise<ApprovalDecision> {
    const stored = this.waiting.get(id);
    if (!stored) return Promise.reject(new TaskError("NotFound", `no pending approval ${id} (answered, expired or never requested)`));
    if (answer.as.trim() === "") return Promise.reject(new TaskError("InvalidInput", "an answer must say who answers"));
    // Single use: taken before the engine is told, so a second answer finds nothing.
    this.waiting.delete(id);
    const decidedAt = this.now().toISOString();
    const result: ApprovalDecision = { id, incidentId: stored.pending.incidentId, stepId: stored.pending.stepId, decision, by: [answer.as], reason: answer.reason, decidedAt };
    try {
      if (decision === "approved") this.options.answers.sendTaskSuccess(stored.token, { approvalId: id, approvers: [answer.as], decidedAt });
      else this.options.answers.sendTaskFailure(stored.token, "Rejected", `rejected by ${answer.as}: ${answer.reason}`);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    this.options.onDecision?.(result, stored.pending);
    return Promise.resolve(result);
  }
}

/** Parses the flat callback payload of `approval.request`. */
export function parseApprovalRequest(payload: unknown): ApprovalRequest {
  const parsed = ApprovalRequest.safeParse(payload);
  if (!parsed.success) throw new TaskError("InvalidInput", `approval.request: ${formatIssues(parsed.error.issues)}`);
  return parsed.data;
}
