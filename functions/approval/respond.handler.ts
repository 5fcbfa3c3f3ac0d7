import { SFNClient } from "@aws-sdk/client-sfn";
import { approvalEnv } from "./approval-env.js";
import { consoleAudit } from "./console-audit.js";
import { DynamoDbApprovals } from "./dynamodb-approvals.js";
import type { HttpApiEvent, HttpResponse } from "../http/http-api.js";
import { createRespond } from "./respond.js";

let respond: ReturnType<typeof createRespond> | undefined;

/** The approvals HTTP API (API Gateway v2, IAM authorization): GET /approvals[/{id}], POST /approvals/{id}/approve|reject. */
export const handler = async (event: HttpApiEvent): Promise<HttpResponse> => {
  if (!respond) {
    const env = approvalEnv();
    respond = createRespond({ approvals: new DynamoDbApprovals(env.dynamodb, env.approvalsTable), sfn: env.aws(SFNClient), clock: { now: () => new Date() }, audit: consoleAudit() });
  }
  return respond(event);
};
