import * as z from "zod";
import { Change } from "../contract/changes.js";
import { canonicalJson, sha256Hex } from "../contract/digest.js";
import type requestApprovalContract from "./request-approval.contract.js";

/** What the generated `Approve: …` states send: the contract's flat input, task token included. */
export type ApprovalRequest = z.output<typeof requestApprovalContract.input>;

/**
 * `withdrawn`: closed because the incident's executions were aborted (not a timeout), unanswered or
 * answered too late for the workflow to take the answer.
 */
export const APPROVAL_STATUSES = ["pending", "approved", "rejected", "expired", "withdrawn"] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

/** One plan the approvers confirm: the dry run's summary and, when the journal has it, every change with before/after. */
export const PlanView = z.object({
  digest: z.string(),
  summary: z.string(),
  changes: z.number().int().min(0),
  details: z.array(Change).optional(),
});
export type PlanView = z.infer<typeof PlanView>;

/** Approval ids as the desks make them (`apr-<hex>` in AWS, `apr-<uuid>` locally); anything else is refused before a read. */
export const ApprovalIdParam = z.string().regex(/^apr-[A-Za-z0-9-]{1,64}$/, "must be an approval id (apr-…)");

/**
 * One approver's answer so far (a two-person step collects two before it is decided). `as`: the
 * caller's principals the step's approver patterns named (the authority it answered under);
 * `vouchedBy`: what vouches for them (both absent in records written before they were kept).
 */
export const Vote = z.object({ by: z.string().min(1), reason: z.string(), at: z.string(), as: z.array(z.string()).optional(), vouchedBy: z.string().optional() });
export type Vote = z.infer<typeof Vote>;

/**
 * An answer that had decided the approval when the abort came, but whose workflow had not been
 * resumed with it: the decision never took effect. `by`/`reason` as the store keeps them (joined).
 */
export const LateAnswer = z.object({ decision: z.enum(["approved", "rejected"]), by: z.string().min(1), reason: z.string() });
export type LateAnswer = z.infer<typeof LateAnswer>;

/** Who closed an approval by aborting its incident (`irflow abort`, Ctrl-C), why, and when; `answer` when it came too late. */
export const Withdrawal = z.object({ by: z.string().min(1), reason: z.string(), at: z.string(), answer: LateAnswer.optional() });
export type Withdrawal = z.infer<typeof Withdrawal>;

/**
 * An approval as stores keep it and responders read it: everything but the task token, which
 * stays in the store and is used only by whoever resumes the workflow.
 */
export const ApprovalView = z.object({
  id: z.string().min(1),
  incidentId: z.string(),
  executionId: z.string(),
  runbookId: z.string(),
  stepId: z.string(),
  stepTitle: z.string(),
  task: z.string(),
  risk: z.string(),
  plans: z.array(PlanView).min(1),
  /** SHA-256 over the plans: what an approver confirms (`--digest`, 12+ hex characters). */
  digest: z.string().regex(/^[0-9a-f]{64}$/),
  /** ARN patterns (`arn:aws:iam::*:role/IncidentLead`) of who may answer. */
  approvers: z.array(z.string()).min(1),
  requiredApprovals: z.number().int().min(1).max(2),
  /** Who asked: the trigger (`event:aws.guardduty`) or the person who started a manual run. */
  requester: z.string().min(1),
  requestedAt: z.string(),
  deadline: z.string(),
  timeoutSeconds: z.number().int().positive(),
  onTimeout: z.enum(["abort", "escalate", "proceed"]),
  escalation: z.boolean(),
  status: z.enum(APPROVAL_STATUSES),
  votes: z.array(Vote),
  decidedAt: z.string().optional(),
  /** The reason of the rejection (approvals keep theirs in `votes`). */
  rejection: Vote.optional(),
  /** Set with status `withdrawn`. */
  withdrawal: Withdrawal.optional(),
  remindedAt: z.string().optional(),
});
export type ApprovalView = z.infer<typeof ApprovalView>;

/**
 * The digest approvers confirm. One plan: its own digest (the one the Plan state logged and the
 * journal keeps). Several (a `foreach` step): one digest over all of them, in order.
 */
export function approvalDigest(plans: readonly { readonly digest: string }[]): string {
  if (plans.length === 1 && /^[0-9a-f]{64}$/.test(plans[0]!.digest)) return plans[0]!.digest;
  return sha256Hex(canonicalJson(plans.map((plan) => plan.digest)));
}

/** The first characters of a digest shown to responders; they confirm at least this many. */
export const DIGEST_PREFIX_LENGTH = 12;

/**
 * Who asked for an approval. An automatic trigger asks as itself (`event:aws.guardduty`); a manual
 * start (`irflow.manual`) asks as the person who started it, so they cannot approve their own step.
 */
export function requesterOf(event: unknown, startedBy?: string): string {
  const source = typeof event === "object" && event !== null && "source" in event && typeof event.source === "string" ? event.source : undefined;
  if (source === undefined || source === "irflow.manual") {
    const detail = typeof event === "object" && event !== null && "detail" in event ? event.detail : undefined;
    const claimed = typeof detail === "object" && detail !== null && "requestedBy" in detail && typeof detail.requestedBy === "string" ? detail.requestedBy : undefined;
    return startedBy?.trim() || claimed?.trim() || "manual:unknown";
  }
  return `event:${source}`;
}

/**
 * The field of a manual event, beside `detail` and never inside it, in which the start-incident
 * API (functions/detect/start-incident.ts) records who started it: the caller's ARN from the
 * SigV4 signature. Only that function can put it there: EventBridge targets receive the event
 * envelope it builds (PutEvents sets `detail` only, never a top-level field), and responders are
 * denied `states:StartExecution` on the machines (stacks/access-policies.ts).
 */
export const STARTED_BY_FIELD = "startedBy";

const STARTER_ARN = /^arn:aws[a-z-]*:(?:sts|iam)::\d{12}:[\w+=,.@/-]{1,512}$/;

/** The verified starter of a manual event, when the start-incident API recorded one. */
export function startedByOf(event: unknown): string | undefined {
  if (typeof event !== "object" || event === null || !(STARTED_BY_FIELD in event)) return undefined;
  const value: unknown = (event as Record<string, unknown>)[STARTED_BY_FIELD];
  return typeof value === "string" && STARTER_ARN.test(value) ? value : undefined;
}

/**
 * Who asked, in AWS: the trigger for an automatic event; for a manual one only the starter the
 * start-incident API verified (never a name inside `detail`, which says whatever its sender
 * writes), else `manual:unknown`.
 */
export function verifiedRequesterOf(event: unknown): string {
  const source = typeof event === "object" && event !== null && "source" in event && typeof event.source === "string" ? event.source : undefined;
  if (source === undefined || source === "irflow.manual") return startedByOf(event) ?? "manual:unknown";
  return `event:${source}`;
}

/** A new pending approval from the request and what the requesting side knows besides. */
export function newApproval(
  request: ApprovalRequest,
  context: { readonly id: string; readonly requester: string; readonly now: Date; readonly details?: readonly (readonly Change[] | undefined)[] },
): ApprovalView {
  const plans: PlanView[] = request.plans.map((plan, index) => {
    const details = context.details?.[index];
    return { digest: plan.digest, summary: plan.summary, changes: plan.changes, ...(details ? { details: [...details] } : {}) };
  });
  return {
    id: context.id,
    incidentId: request.incidentId,
    executionId: request.executionId,
    runbookId: request.runbookId,
    stepId: request.stepId,
    stepTitle: request.stepTitle,
    task: request.task,
    risk: request.risk,
    plans,
    digest: approvalDigest(request.plans),
    approvers: [...request.approvers],
    requiredApprovals: request.requiredApprovals,
    requester: context.requester,
    requestedAt: context.now.toISOString(),
    deadline: new Date(context.now.getTime() + request.timeoutSeconds * 1000).toISOString(),
    timeoutSeconds: request.timeoutSeconds,
    onTimeout: request.onTimeout,
    escalation: request.escalation,
    status: "pending",
    votes: [],
  };
}

/** When to remind: at 80% of the wait, so someone still has a fifth of it to answer. */
export function reminderDue(approval: Pick<ApprovalView, "requestedAt" | "deadline">): Date {
  const start = Date.parse(approval.requestedAt);
  const end = Date.parse(approval.deadline);
  return new Date(start + Math.floor((end - start) * 0.8));
}

/** What SendTaskSuccess hands the workflow (`$.step.approval`, the contract's output). */
export function approvalOutput(approval: Pick<ApprovalView, "id" | "requiredApprovals">, votes: readonly Vote[], decidedAt: string) {
  return { approvalId: approval.id, approvers: votes.map((vote) => vote.by), reasons: votes.map((vote) => vote.reason), votes: votes.map((vote) => ({ ...vote })), decidedAt };
}
