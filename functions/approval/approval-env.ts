import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { clientFactory, type ClientProvider } from "../contract/clients.js";

/** The environment the approval functions read (the stacks set it: stacks/task-functions.ts ENV). */
export interface ApprovalEnv {
  readonly aws: ClientProvider;
  readonly approvalsTable: string;
  readonly incidentsTable: string | undefined;
  readonly stepsTable: string | undefined;
  readonly topicArn: string | undefined;
  readonly dynamodb: DynamoDBClient;
}

export function approvalEnv(env: NodeJS.ProcessEnv = process.env): ApprovalEnv {
  const approvalsTable = env.IRFLOW_APPROVALS_TABLE;
  if (!approvalsTable) throw new Error("IRFLOW_APPROVALS_TABLE is not set");
  const region = env.AWS_REGION ?? (JSON.parse(env.IRFLOW_CONFIG ?? "{}") as { region?: string }).region;
  const aws = clientFactory({ ...(region ? { region } : {}), maxAttempts: 3 });
  return { aws, approvalsTable, incidentsTable: env.IRFLOW_INCIDENTS_TABLE, stepsTable: env.IRFLOW_STEPS_TABLE, topicArn: env.IRFLOW_APPROVALS_TOPIC_ARN, dynamodb: aws(DynamoDBClient) };
}

export function required(value: string | undefined, name: string): string {
  if (!value) throw new Error(`${name} is not set`);
  return value;
}
