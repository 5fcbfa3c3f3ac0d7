import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from "@aws-sdk/client-sfn";
import * as z from "zod";
import type { AuditAppender } from "../audit/audit-port.js";
import { awsErrorCode } from "../contract/aws-errors.js";
import type { Clock } from "../contract/task.js";
import { IncidentId } from "../incident/document.js";
import { failure, json, jsonBody, signedCaller, type HttpApiEvent, type HttpResponse } from "../http/http-api.js";
import { formatIssues } from "../runtime/execute-task.js";
import { answerEntry, expiredEntry } from "./approval-audit.js";
import { ApprovalIdParam, approvalOutput, DIGEST_PREFIX_LENGTH, type ApprovalView } from "./approval.js";
import { checkAnswer, REFUSAL_STATUS, type AnswerCheck, type RefusalCode } from "./check-answer.js";
import type { DynamoDbApprovals } from "./dynamodb-approvals.js";
import { identityFromArn } from "./identity.js";

/** The routes of the approvals HTTP API (IAM authorization on every one). */
export const APPROVAL_ROUTES = ["GET /approvals", "GET /approvals/{id}", "POST /approvals/{id}/approve", "POST /approvals/{id}/reject"] as const;

/** Only what the answerer says; who answers comes from the signature, so an identity field is refused. */
const ApproveBody = z.strictObject({ reason: z.string().max(2000), digest: z.string().max(64) });
const RejectBody = z.strictObject({ reason: z.string().max(2000) });
const ListQuery = z.strictObject({ incidentId: IncidentId.optional() });

/** States errors that mean the task no longer waits: the answer came after its timeout. */
const GONE = new Set(["TaskTimedOut", "InvalidToken", "TaskDoesNotExist"]);

export interface RespondPorts {
  readonly approvals: DynamoDbApprovals;
  readonly sfn: SFNClient;
  readonly clock: Clock;
  readonly audit: AuditAppender;
}

const refusal = (code: RefusalCode, message: string) => failure(REFUSAL_STATUS[code], code, message);

/**
 * The approvals API behind IAM (SigV4) authorization: read pending approvals, approve or reject
 * one. Every answer is checked by `checkAnswer`, landed with a conditional write, then handed to
 * Step Functions; every answer, accepted or refused, is audited.
 */
export function createRespond(ports: RespondPorts) {
  return async (event: HttpApiEvent): Promise<HttpResponse> => {
    const signed = signedCaller(event);
    if ("response" in signed) return signed.response;
    const { callerArn } = signed;
    const rawId = event.pathParameters?.id;
    const checkedId = rawId === undefined ? undefined : ApprovalIdParam.safeParse(rawId);
    if (checkedId && !checkedId.success) return failure(400, "bad-request", `path: id: ${checkedId.error.issues[0]!.message}`);
    const id = checkedId?.data;
    switch (event.routeKey) {
      case "GET /approvals": {
        const query = ListQuery.safeParse(event.queryStringParameters ?? {});
        if (!query.success) return failure(400, "bad-request", `query: ${formatIssues(query.error.issues)}`);
        const { incidentId } = query.data;
        const pending = await ports.approvals.pending(incidentId ? { incidentId } : {});
        return json(200, { approvals: pending.map((a) => ({ ...a, digestPrefix: a.digest.slice(0, DIGEST_PREFIX_LENGTH) })) });
      }
      case "GET /approvals/{id}": {
        const approval = id ? await ports.approvals.get(id) : undefined;
        return approval ? json(200, approval) : refusal("not-found", `no approval ${id ?? ""}`);
      }
      case "POST /approvals/{id}/approve":
      case "POST /approvals/{id}/reject": {
        if (!id) return failure(400, "bad-request", "the path names no approval");
        const kind = event.routeKey.endsWith("/approve") ? "approve" : "reject";
        const body = parseBody(event, kind);
        if ("error" in body) return failure(400, "bad-request", body.error);
        return answer(ports, id, kind, callerArn, body.value);
      }
      default:
        return failure(404, "no-route", `no route ${event.routeKey ?? "(none)"}`);
    }
  };
}

function parseBody(event: HttpApiEvent, kind: "approve" | "reject"): { value: { reason: string; digest?: string } } | { error: string } {
  const raw = jsonBody(event);
  if ("error" in raw) return raw;
  const parsed = (kind === "approve" ? ApproveBody : RejectBody).safeParse(raw.value);
  if (!parsed.success) return { error: `body: ${formatIssues(parsed.error.issues)}` };
  return { value: parsed.data };
}

async function answer(ports: RespondPorts, id: string, kind: "approve" | "reject", callerArn: string, body: { reason: string; digest?: string }): Promise<HttpResponse> {
  const caller = identityFromArn(callerArn);
  // A lost conditional write is checked again against what won (a second approver still counts).
  for (let attempt = 0; attempt < 4; attempt += 1) {
    const now = ports.clock.now();
    const approval = await ports.approvals.get(id);
    const check = checkAnswer(approval, { kind, caller, reason: body.reason, digest: body.digest }, now);
    if (!check.ok || !approval) return refused(ports, approval, id, kind, caller.actor, check, now);
    const write = check.decision === "rejected"
      ? { votes: approval.votes, expectedVotes: approval.votes.length, decision: { status: "rejected" as const, at: check.vote.at, rejection: check.vote } }
      : { votes: check.votes, expectedVotes: approval.votes.length, ...(check.complete ? { decision: { status: "approved" as const, at: check.vote.at } } : {}) };
    const landed = await ports.approvals.vote(id, write, now);
    if (!landed.landed) continue;
    if (!check.complete) {
      await ports.audit.append(approval.incidentId, answerEntry(approval, id, kind, caller.actor, check, now));
      return json(202, { approvalId: id, status: "pending", approvals: check.votes.length, required: approval.requiredApprovals });
    }
    if (landed.taskToken === undefined) throw new Error(`approval ${id} was decided but its item returned no task token`);
    // Audited once the workflow took it: an answer that arrives after the timeout is a refusal, not an approval.
    const unresumed = await resume(ports, approval, check, caller.actor, landed.taskToken, now);
    if (unresumed) return unresumed;
    await ports.audit.append(approval.incidentId, answerEntry(approval, id, kind, caller.actor, check, now));
    return json(200, { approvalId: id, status: check.decision, approvers: check.votes.map((vote) => vote.by), decidedAt: now.toISOString() });
  }
  return refused(ports, await ports.approvals.get(id), id, kind, caller.actor, { ok: false, refusal: { code: "already-decided", message: `approval ${id} kept changing while answering; look again` } }, ports.clock.now());
}

/**
 * Hands the decision to Step Functions. A task that no longer waits (timed out) turns the answer
 * into an audited `expired` refusal; any other failure is a 502 naming only the error code (AWS
 * error messages may quote the token, so none reaches the response, the log or the audit).
 */
async function resume(ports: RespondPorts, approval: ApprovalView, check: Extract<AnswerCheck, { ok: true }>, actor: string, token: string, now: Date): Promise<HttpResponse | undefined> {
  try {
    if (check.decision === "approved") {
      await ports.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(approvalOutput(approval, check.votes, now.toISOString())) }));
    } else {
      await ports.sfn.send(new SendTaskFailureCommand({ taskToken: token, error: "Rejected", cause: `rejected by ${check.vote.by}: ${check.vote.reason}`.slice(0, 32_000) }));
    }
    return undefined;
  } catch (error) {
    const code = awsErrorCode(error) ?? (error instanceof Error ? error.name : "Error");
    const kind = check.decision === "approved" ? "approve" : "reject";
    if (!GONE.has(code)) {
      const message = `the ${check.decision} decision on ${approval.id} is recorded but Step Functions did not take it (${code}); the step waits until its timeout`;
      await ports.audit.append(approval.incidentId, { kind: "approval.resume-failed", actor, at: now.toISOString(), body: { approvalId: approval.id, stepId: approval.stepId, decision: check.decision, error: code } });
      return failure(502, "resume-failed", message);
    }
    await ports.approvals.markExpired(approval.id, now, true);
    const late = { code: "expired" as const, message: `approval ${approval.id} expired before the answer reached the workflow (${code}); it took its on-timeout path (${approval.onTimeout})` };
    await ports.audit.append(approval.incidentId, answerEntry(approval, approval.id, kind, actor, { ok: false, refusal: late }, now));
    await ports.audit.append(approval.incidentId, expiredEntry(approval, now, "system:approval-respond"));
    return refusal(late.code, late.message);
  }
}

async function refused(ports: RespondPorts, approval: ApprovalView | undefined, id: string, kind: "approve" | "reject", actor: string, check: AnswerCheck, now: Date): Promise<HttpResponse> {
  if (check.ok) throw new Error("refused() needs a refusal");
  // An unknown id names no incident whose log could hold it; the structured log does.
  if (approval) await ports.audit.append(approval.incidentId, answerEntry(approval, id, kind, actor, check, now));
  else process.stdout.write(`${JSON.stringify({ level: "warn", message: "answer to an unknown approval", approvalId: id, actor, refusal: check.refusal.code })}\n`);
  return refusal(check.refusal.code, check.refusal.message);
}
