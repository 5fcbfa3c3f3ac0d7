import { SNSClient } from "@aws-sdk/client-sns";
import { DynamoDbStepJournal } from "../runtime/dynamodb-step-journal.js";
import { approvalEnv, required } from "./approval-env.js";
import { consoleAudit } from "./console-audit.js";
import { DynamoDbApprovals } from "./dynamodb-approvals.js";
import { createRequestApproval } from "./request-approval.js";

let handle: ReturnType<typeof createRequestApproval> | undefined;

/** The `approval.request` Lambda (invoked with `.waitForTaskToken`; its return value is not the task's output). */
export const handler = async (event: unknown): Promise<{ approvalId: string }> => {
  if (!handle) {
    const env = approvalEnv();
    const incidentsTable = required(env.incidentsTable, "IRFLOW_INCIDENTS_TABLE");
    handle = createRequestApproval({
      approvals: new DynamoDbApprovals(env.dynamodb, env.approvalsTable),
      dynamodb: env.dynamodb,
      sns: env.aws(SNSClient),
      incidentsTable,
      topicArn: required(env.topicArn, "IRFLOW_APPROVALS_TOPIC_ARN"),
      journal: new DynamoDbStepJournal(env.dynamodb, required(env.stepsTable, "IRFLOW_STEPS_TABLE")),
      clock: { now: () => new Date() },
      audit: consoleAudit(),
    });
  }
  const { approvalId } = await handle(event);
  return { approvalId };
};
