import * as pulumi from "@pulumi/pulumi";
import type { StackContext } from "./context.js";
import { SERVICE_HANDLERS } from "./handlers.js";
import type { PolicyStatement, ResourceArns } from "./iam.js";
import { lambdaWithRole, type Lambda } from "./lambda.js";
import type { DeployedMachine } from "./state-machines.js";
import type { Storage } from "./storage.js";
import { ENV, irflowConfigJson } from "./task-functions.js";

export interface ServiceFunctions {
  readonly respond: Lambda;
  readonly remind: Lambda;
  readonly archiver: Lambda;
}

const executionsOf = (arns: ResourceArns, machines: readonly string[]): string[] =>
  machines.map((name) => `arn:${arns.partition}:states:${arns.region}:${arns.account}:execution:${name}:*`);

/**
 * The functions that are not workflow tasks, with the IAM each needs (they have no contract, so
 * their permissions are declared here, in one place):
 * - respond (the approval API): read and answer approvals, answer the waiting task, audit the answer;
 * - remind (every 5 minutes): find approvals still pending and remind their approvers;
 * - archiver: copy an ended execution's full history into the audit bucket.
 */
export function createServiceFunctions(ctx: StackContext, storage: Storage, arns: pulumi.Output<ResourceArns>, machines: readonly DeployedMachine[]): ServiceFunctions {
  const machineArns = pulumi.all(machines.map((machine) => machine.machine.arn));
  const names = machines.map((machine) => machine.name);
  // functions/approval/dynamodb-approvals.ts: one partition, read with Query; no index.
  const approvalsTable = (resolved: ResourceArns): string[] => [resolved.tables.approvals!];

  const respondStatements = pulumi.all([arns, machineArns]).apply(([resolved, stateMachines]): PolicyStatement[] => [
    { Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:Query"], Resource: approvalsTable(resolved) },
    { Effect: "Allow", Action: ["dynamodb:GetItem"], Resource: [resolved.tables.incidents!] },
    { Effect: "Allow", Action: ["states:SendTaskSuccess", "states:SendTaskFailure"], Resource: stateMachines },
    { Effect: "Allow", Action: ["s3:PutObject"], Resource: [`${resolved.buckets.audit!}/*`] },
  ]);
  const respond = lambdaWithRole(ctx, {
    slug: "approval-respond",
    description: "irflow approval API: list, approve and reject pending approvals",
    entry: SERVICE_HANDLERS.respond,
    statements: respondStatements,
    environment: {
      [ENV.config]: irflowConfigJson(ctx, storage),
      [ENV.incidentsTable]: storage.incidents.name,
      [ENV.approvalsTable]: storage.approvals.name,
      [ENV.auditBucket]: storage.auditBucket.bucket,
      [ENV.approvers]: JSON.stringify(ctx.config.approvers),
    },
    timeoutSeconds: 29,
  });

  const remind = lambdaWithRole(ctx, {
    slug: "approval-remind",
    description: "irflow reminder sweep: remind approvers of approvals still pending",
    entry: SERVICE_HANDLERS.remind,
    statements: arns.apply((resolved): PolicyStatement[] => [
      { Effect: "Allow", Action: ["dynamodb:Query", "dynamodb:UpdateItem"], Resource: approvalsTable(resolved) },
      { Effect: "Allow", Action: ["sns:Publish"], Resource: [resolved.topics.approvals!] },
    ]),
    environment: {
      [ENV.config]: irflowConfigJson(ctx, storage),
      [ENV.incidentsTable]: storage.incidents.name,
      [ENV.approvalsTable]: storage.approvals.name,
      [ENV.approvalsTopic]: storage.approvalsTopic.arn,
    },
    timeoutSeconds: 120,
  });

  const archiver = lambdaWithRole(ctx, {
    slug: "audit-archive-execution",
    description: "irflow archiver: copy each ended execution's history to the audit bucket",
    entry: SERVICE_HANDLERS.archiver,
    statements: arns.apply((resolved): PolicyStatement[] => [
      { Effect: "Allow", Action: ["states:DescribeExecution", "states:GetExecutionHistory"], Resource: executionsOf(resolved, names) },
      { Effect: "Allow", Action: ["s3:PutObject"], Resource: [`${resolved.buckets.audit!}/*`] },
    ]),
    environment: {
      [ENV.config]: irflowConfigJson(ctx, storage),
      [ENV.incidentsTable]: storage.incidents.name,
      [ENV.auditBucket]: storage.auditBucket.bucket,
    },
    timeoutSeconds: 300,
    memoryMb: 1024,
  });

  return { respond, remind, archiver };
}
