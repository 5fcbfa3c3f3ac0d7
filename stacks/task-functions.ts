import * as pulumi from "@pulumi/pulumi";
import { IrflowConfig } from "../functions/contract/config.js";
import type { StackContext } from "./context.js";
import { taskHandlerFile } from "./handlers.js";
import { grantStatements, STEP_JOURNAL_GRANT, type ResourceArns } from "./iam.js";
import { lambdaWithRole, type Lambda } from "./lambda.js";
import type { IamGrant } from "./manifest.js";
import { taskSlug } from "./names.js";
import type { Storage } from "./storage.js";

/** The environment variables the handlers read (functions/runtime/lambda-handler.ts and the approval/audit handlers). */
export const ENV = {
  config: "IRFLOW_CONFIG",
  incidentsTable: "IRFLOW_INCIDENTS_TABLE",
  stepsTable: "IRFLOW_STEPS_TABLE",
  approvalsTable: "IRFLOW_APPROVALS_TABLE",
  approvalsTopic: "IRFLOW_APPROVALS_TOPIC_ARN",
  auditBucket: "IRFLOW_AUDIT_BUCKET",
  evidenceBucket: "IRFLOW_EVIDENCE_BUCKET",
  approvers: "IRFLOW_APPROVERS",
} as const;

/** The runtime configuration every task reads, checked against the functions' own schema at deploy time. */
export function irflowConfigJson(ctx: StackContext, storage: Storage): pulumi.Output<string> {
  return pulumi
    .all([ctx.region, storage.evidenceBucketName, storage.alertTopics.responders, storage.alertTopics.owner, storage.alertTopics["security-lead"]])
    .apply(([region, evidenceBucket, responders, owner, securityLead]) =>
      JSON.stringify(
        IrflowConfig.parse({
          region,
          evidenceBucket,
          quarantineGroups: ctx.config.quarantineGroups,
          topics: { responders, owner, "security-lead": securityLead },
          ...(ctx.config.memoryCaptureDocument !== undefined ? { memoryCaptureDocument: ctx.config.memoryCaptureDocument } : {}),
          ...(ctx.config.defaultMaxChanges !== undefined ? { defaultMaxChanges: ctx.config.defaultMaxChanges } : {}),
        }),
      ),
    );
}

/** The optional variables a task gets when its IAM names the resource behind them. */
function environmentFor(grants: readonly IamGrant[], ctx: StackContext, storage: Storage): Record<string, pulumi.Input<string>> {
  const templates = grants.flatMap((grant) => grant.resources ?? []).join(" ");
  return {
    [ENV.config]: irflowConfigJson(ctx, storage),
    // Every task journals its steps; only a task whose IAM names the incidents table is told where it is.
    [ENV.stepsTable]: storage.steps.name,
    ...(templates.includes("{table:incidents}") ? { [ENV.incidentsTable]: storage.incidents.name } : {}),
    ...(templates.includes("{table:approvals}") ? { [ENV.approvalsTable]: storage.approvals.name } : {}),
    ...(templates.includes("{topic:approvals}") ? { [ENV.approvalsTopic]: storage.approvalsTopic.arn } : {}),
    ...(templates.includes("{bucket:audit}") ? { [ENV.auditBucket]: storage.auditBucket.bucket } : {}),
    ...(templates.includes("{bucket:evidence}") ? { [ENV.evidenceBucket]: storage.evidenceBucketName } : {}),
  };
}

/** One Lambda per task in the manifest, each with a role holding its declared IAM and the step journal. */
export function createTaskFunctions(ctx: StackContext, storage: Storage, arns: pulumi.Output<ResourceArns>): Record<string, Lambda> {
  return Object.fromEntries(
    Object.entries(ctx.manifest.tasks).map(([name, task]) => {
      const lambda = lambdaWithRole(ctx, {
        slug: taskSlug(name),
        description: `${name}: ${task.summary}`,
        entry: taskHandlerFile(name),
        statements: arns.apply((resolved) => grantStatements([...task.iam, STEP_JOURNAL_GRANT], resolved)),
        environment: environmentFor(task.iam, ctx, storage),
        // The state's own timeout bounds the invocation; the function gets a little more to log why.
        timeoutSeconds: Math.min(900, task.timeoutSeconds + 5),
      });
      return [name, lambda] as const;
    }),
  );
}
