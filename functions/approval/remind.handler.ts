import { SNSClient } from "@aws-sdk/client-sns";
import { approvalEnv, required } from "./approval-env.js";
import { consoleAudit } from "./console-audit.js";
import { DynamoDbApprovals } from "./dynamodb-approvals.js";
import { createRemind, type SweepResult } from "./remind.js";

export { REMIND_IAM, REMIND_SCHEDULE } from "./service-iam.js";

let sweep: ReturnType<typeof createRemind> | undefined;

/** The scheduled reminder and expiry sweep over pending approvals (REMIND_SCHEDULE). */
export const handler = async (): Promise<SweepResult> => {
  if (!sweep) {
    const env = approvalEnv();
    sweep = createRemind({
      approvals: new DynamoDbApprovals(env.dynamodb, env.approvalsTable),
      sns: env.aws(SNSClient),
      topicArn: required(env.topicArn, "IRFLOW_APPROVALS_TOPIC_ARN"),
      clock: { now: () => new Date() },
      audit: consoleAudit(),
    });
  }
  return sweep();
};
