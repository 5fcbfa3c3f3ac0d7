import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { StackContext } from "./context.js";
import { policyDocument, type PolicyStatement } from "./iam.js";
import { deployedName } from "./names.js";
import type { DeployedMachine } from "./state-machines.js";
import type { Storage } from "./storage.js";

export interface AccessPolicies {
  readonly responders: aws.iam.Policy;
  readonly auditors: aws.iam.Policy;
}

const roleName = (arn: string): string => arn.slice(arn.lastIndexOf("/") + 1);

/**
 * People never answer a waiting task directly: with a task token (execution history and the
 * machines' logs show it) and SendTaskSuccess they would skip every check of the respond
 * function. SendTask* takes no resource-level restriction (service authorization reference), so
 * the respond function's grant is on "*" and people's policies deny it outright.
 */
export const NO_DIRECT_ANSWERS: PolicyStatement = { Effect: "Deny", Action: ["states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"], Resource: ["*"] };

/**
 * Responders start incidents only through `POST /incidents`, which records who they are; a
 * direct StartExecution would carry whatever its sender writes. Denied on every irflow machine of
 * the stage (phase machines too: their input is an incident document the workflow trusts), by
 * name prefix: one ARN per machine would outgrow a managed policy's 6,144 characters.
 */
export function noDirectStarts(partition: string, region: string, account: string, stage: string): PolicyStatement {
  return { Effect: "Deny", Action: ["states:StartExecution"], Resource: [`arn:${partition}:states:${region}:${account}:stateMachine:${deployedName(stage, "*", 256)}`] };
}

/**
 * What people need: responders call the approval API (SigV4, `execute-api:Invoke` on its routes);
 * auditors read the audit bucket and the machines' execution history. Attached to the roles the
 * stage config names (approvers of any runbook; auditors), which must be in the deployment account.
 */
export function createAccessPolicies(ctx: StackContext, storage: Storage, machines: readonly DeployedMachine[], routeArns: pulumi.Output<string[]>): AccessPolicies {
  const responders = new aws.iam.Policy("responders-policy", {
    name: deployedName(ctx.stage, "responders", 128),
    description: "irflow: answer approvals and start manual incidents through the approval API",
    policy: pulumi
      .all([routeArns, ctx.partition, ctx.region, ctx.account])
      .apply(([arns, partition, region, account]) =>
        JSON.stringify(policyDocument([{ Effect: "Allow", Action: ["execute-api:Invoke"], Resource: arns }, NO_DIRECT_ANSWERS, noDirectStarts(partition, region, account, ctx.stage)])),
      ),
    tags: ctx.tags,
  });
  const executions = pulumi
    .all([ctx.partition, ctx.region, ctx.account])
    .apply(([partition, region, account]) => machines.map((machine) => `arn:${partition}:states:${region}:${account}:execution:${machine.name}:*`));
  const auditors = new aws.iam.Policy("auditors-policy", {
    name: deployedName(ctx.stage, "auditors", 128),
    description: "irflow: read the audit trail and execution history",
    policy: pulumi.all([storage.auditBucket.arn, executions, pulumi.all(machines.map((machine) => machine.machine.arn))]).apply(([bucket, executionArns, machineArns]) =>
      JSON.stringify(
        policyDocument([
          { Effect: "Allow", Action: ["s3:ListBucket", "s3:ListBucketVersions", "s3:GetBucketObjectLockConfiguration", "s3:GetBucketVersioning"], Resource: [bucket] },
          { Effect: "Allow", Action: ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectRetention", "s3:GetObjectLegalHold"], Resource: [`${bucket}/*`] },
          { Effect: "Allow", Action: ["states:GetExecutionHistory", "states:DescribeExecution"], Resource: executionArns },
          { Effect: "Allow", Action: ["states:ListExecutions", "states:DescribeStateMachine"], Resource: machineArns },
          NO_DIRECT_ANSWERS,
        ]),
      ),
    ),
    tags: ctx.tags,
  });
  const approverRoles = new Set(Object.values(ctx.config.approvers).flatMap((groups) => [...(groups.default ?? []), ...(groups.destructive ?? []), ...(groups.escalation ?? [])]));
  for (const arn of [...approverRoles].sort()) {
    new aws.iam.RolePolicyAttachment(`responders-${roleName(arn)}`, { role: roleName(arn), policyArn: responders.arn });
  }
  for (const arn of [...new Set(ctx.config.auditors)].sort()) {
    new aws.iam.RolePolicyAttachment(`auditors-${roleName(arn)}`, { role: roleName(arn), policyArn: auditors.arn });
  }
  return { responders, auditors };
}
