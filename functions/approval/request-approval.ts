import { GetItemCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import type { AuditAppender } from "../audit/audit-port.js";
import { aws } from "../contract/aws-errors.js";
import type { Change } from "../contract/changes.js";
import { sha256Hex } from "../contract/digest.js";
import { invalidInput } from "../contract/errors.js";
import type { Clock } from "../contract/task.js";
import { formatIssues } from "../runtime/execute-task.js";
import type { StepJournal } from "../runtime/step-journal.js";
import { requestedEntry } from "./approval-audit.js";
import { approvalNotice } from "./approval-message.js";
import { newApproval, verifiedRequesterOf, type ApprovalRequest } from "./approval.js";
import type { DynamoDbApprovals } from "./dynamodb-approvals.js";
import contract from "./request-approval.contract.js";

export interface RequestApprovalPorts {
  readonly approvals: DynamoDbApprovals;
  readonly dynamodb: DynamoDBClient;
  readonly sns: SNSClient;
  readonly incidentsTable: string;
  readonly topicArn: string;
  /** The step journal (in the incidents table): the full plan the Plan state recorded. */
  readonly journal: StepJournal;
  readonly clock: Clock;
  readonly audit: AuditAppender;
}

/**
 * The id of the approval of one waiting task: derived from its token, so a retried invocation
 * (Lambda retries are normal) finds the approval it already created instead of making a second;
 * a one-way hash, so the id says nothing about the token.
 */
export function approvalIdFor(taskToken: string): string {
  return `apr-${sha256Hex(`irflow-approval:${taskToken}`).slice(0, 32)}`;
}

/**
 * `approval.request` in AWS: stores the pending approval (the token stays in the table), with
 * the requester (from the incident's triggering event) and the full plan (from the journal),
 * notifies the approvals topic without token or link, and audits the request. The workflow
 * waits until the respond function answers or the state times out.
 */
export function createRequestApproval(ports: RequestApprovalPorts) {
  return async (payload: unknown): Promise<{ approvalId: string; created: boolean }> => {
    const parsed = contract.input.safeParse(payload);
    if (!parsed.success) throw invalidInput(`approval.request: ${formatIssues(parsed.error.issues)}`, "payload");
    const request = parsed.data;
    const id = approvalIdFor(request.taskToken);
    const [requester, details] = await Promise.all([requesterFor(ports, request.incidentId), planDetails(ports.journal, request)]);
    const approval = newApproval(request, { id, requester, now: ports.clock.now(), details });
    const created = await ports.approvals.create(approval, request.taskToken);
    if (!created) return { approvalId: id, created };
    const notice = approvalNotice(approval);
    await aws(`Publish ${ports.topicArn}`, () =>
      ports.sns.send(
        new PublishCommand({
          TopicArn: ports.topicArn,
          Subject: notice.subject,
          Message: notice.message,
          MessageAttributes: { incidentId: { DataType: "String", StringValue: approval.incidentId }, approvalId: { DataType: "String", StringValue: id } },
        }),
      ),
    );
    await ports.audit.append(approval.incidentId, requestedEntry(approval, `function:${contract.name}`));
    return { approvalId: id, created };
  };
}

/**
 * Who asked: the incident's triggering event says (its source, or, for a manual start, the
 * starter the start-incident API took from the SigV4 signature and recorded beside `detail`).
 */
async function requesterFor(ports: RequestApprovalPorts, incidentId: string): Promise<string> {
  const result = await aws(`GetItem ${ports.incidentsTable}`, () =>
    ports.dynamodb.send(new GetItemCommand({ TableName: ports.incidentsTable, Key: { pk: { S: `incident#${incidentId}` }, sk: { S: "incident" } }, ProjectionExpression: "event" })),
  );
  const text = result.Item?.event?.S;
  if (text === undefined) return "manual:unknown";
  try {
    return verifiedRequesterOf(JSON.parse(text) as unknown);
  } catch {
    return "manual:unknown";
  }
}

async function planDetails(journal: StepJournal, request: ApprovalRequest): Promise<(readonly Change[] | undefined)[]> {
  const key = { incidentId: request.incidentId, stepId: request.stepId, task: request.task };
  return Promise.all(
    request.plans.map(async (plan, item) => {
      const record = (await journal.find({ ...key, item }, "plan")) ?? (request.plans.length === 1 ? await journal.find(key, "plan") : undefined);
      return record?.digest === plan.digest ? record.changes : undefined;
    }),
  );
}
