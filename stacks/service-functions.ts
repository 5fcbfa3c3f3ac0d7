import type * as pulumi from "@pulumi/pulumi";
import type { StackContext } from "./context.js";
import { SERVICE_HANDLERS } from "./handlers.js";
import { RESPOND_IAM, REMIND_IAM } from "../functions/approval/service-iam.js";
import type { IamGrant } from "../functions/contract/task-contract.js";
import { CLOSE_STOPPED_EXECUTION_IAM, CLOSE_STOPPED_IAM, INCIDENT_MACHINE_ARNS_ENV } from "../functions/audit/close-stopped-incident.js";
import { INCIDENT_MACHINES_ENV } from "../functions/detect/start-incident.js";
import { grantStatements, type PolicyStatement, type ResourceArns } from "./iam.js";
import { lambdaWithRole, type Lambda, type LambdaSpec } from "./lambda.js";
import type { DeployedMachine } from "./state-machines.js";
import type { Storage } from "./storage.js";
import { ENV, irflowConfigJson } from "./task-functions.js";

export interface ServiceFunctions {
  readonly respond: Lambda;
  readonly startIncident: Lambda;
  readonly remind: Lambda;
  readonly archiver: Lambda;
  readonly closeStopped: Lambda;
}

const executionsOf = (arns: ResourceArns, machines: readonly string[]): string[] =>
  machines.map((name) => `arn:${arns.partition}:states:${arns.region}:${arns.account}:execution:${name}:*`);

const machineArnOf = (arns: ResourceArns, name: string): string => `arn:${arns.partition}:states:${arns.region}:${arns.account}:stateMachine:${name}`;

/** Every runbook's incident machine, and the runbooks a responder may start by hand (a `manual` trigger). */
function incidentMachines(ctx: StackContext, machines: readonly DeployedMachine[]) {
  const incident = machines.filter((machine) => machine.manifest.machine === "incident");
  const manual = new Set(ctx.manifest.runbooks.filter((runbook) => runbook.triggers.some((trigger) => trigger.kind === "manual")).map((runbook) => runbook.id));
  return { all: incident, manual: incident.filter((machine) => manual.has(machine.manifest.runbook)) };
}

/**
 * respond and remind: the approval desk's functions, with IAM declared beside their code and the
 * configuration and tables every approval function reads; `environment` adds what only one needs.
 */
function approvalFunction(
  ctx: StackContext,
  storage: Storage,
  arns: pulumi.Output<ResourceArns>,
  spec: Omit<LambdaSpec, "statements" | "environment"> & { readonly iam: readonly IamGrant[]; readonly environment: Readonly<Record<string, pulumi.Input<string>>> },
): Lambda {
  const { iam, environment, ...rest } = spec;
  return lambdaWithRole(ctx, {
    ...rest,
    statements: arns.apply((resolved) => grantStatements(iam, resolved)),
    environment: {
      [ENV.config]: irflowConfigJson(ctx, storage),
      [ENV.incidentsTable]: storage.incidents.name,
      [ENV.approvalsTable]: storage.approvals.name,
      ...environment,
    },
  });
}

/**
 * The functions that are not workflow tasks. They have no contract; respond and remind declare
 * their IAM beside their code (functions/approval/service-iam.ts), and so does close-stopped
 * (functions/audit/close-stopped-incident.ts); the archiver's is here:
 * - respond (the approval API): read and answer approvals, answer the waiting task;
 * - start-incident (`POST /incidents`): start the incident machine of a runbook with a manual
 *   trigger, and only those (functions/detect/start-incident.ts says why that makes its
 *   `startedBy` trustworthy);
 * - remind (REMIND_SCHEDULE): find approvals still pending, remind their approvers, expire them;
 * - archiver: copy an ended execution's full history into the audit bucket;
 * - close-stopped: close the incident of an incident execution that ended before post-incident.
 */
export function createServiceFunctions(ctx: StackContext, storage: Storage, arns: pulumi.Output<ResourceArns>, machines: readonly DeployedMachine[]): ServiceFunctions {
  const names = machines.map((machine) => machine.name);
  const respond = approvalFunction(ctx, storage, arns, {
    slug: "approval-respond",
    description: "irflow approval API: list, approve and reject pending approvals",
    entry: SERVICE_HANDLERS.respond,
    iam: RESPOND_IAM,
    environment: { [ENV.approvers]: JSON.stringify(ctx.config.approvers) },
    timeoutSeconds: 29,
  });

  const incidents = incidentMachines(ctx, machines);
  const startIncident = lambdaWithRole(ctx, {
    slug: "incident-start",
    description: "irflow incidents API: start a manual incident as the signed caller",
    entry: SERVICE_HANDLERS.startIncident,
    statements: arns.apply((resolved): PolicyStatement[] => [
      { Effect: "Allow", Action: ["states:StartExecution"], Resource: incidents.manual.map((machine) => machineArnOf(resolved, machine.name)) },
    ]),
    environment: {
      [INCIDENT_MACHINES_ENV]: arns.apply((resolved) =>
        JSON.stringify({
          machines: Object.fromEntries(incidents.all.map((machine) => [machine.manifest.runbook, machineArnOf(resolved, machine.name)])),
          manual: incidents.manual.map((machine) => machine.manifest.runbook),
        }),
      ),
    },
    timeoutSeconds: 29,
  });

  const remind = approvalFunction(ctx, storage, arns, {
    slug: "approval-remind",
    description: "irflow reminder sweep: remind approvers of approvals still pending",
    entry: SERVICE_HANDLERS.remind,
    iam: REMIND_IAM,
    environment: { [ENV.approvalsTopic]: storage.approvalsTopic.arn },
    timeoutSeconds: 120,
  });

  const archiver = lambdaWithRole(ctx, {
    slug: "audit-archive-execution",
    description: "irflow archiver: copy each ended execution's history to the audit bucket",
    entry: SERVICE_HANDLERS.archiver,
    statements: arns.apply((resolved): PolicyStatement[] => [
      // functions/audit/archive-execution.ts pages the history; the audit log (s3-audit-log.ts) finds its head by listing.
      { Effect: "Allow", Action: ["states:GetExecutionHistory"], Resource: executionsOf(resolved, names) },
      { Effect: "Allow", Action: ["s3:ListBucket"], Resource: [resolved.buckets.audit!] },
      { Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: [`${resolved.buckets.audit!}/*`] },
    ]),
    environment: {
      [ENV.config]: irflowConfigJson(ctx, storage),
      [ENV.incidentsTable]: storage.incidents.name,
      [ENV.auditBucket]: storage.auditBucket.bucket,
    },
    timeoutSeconds: 300,
    memoryMb: 1024,
  });

  // Declared beside its code (functions/audit/close-stopped-incident.ts): the executions it reads,
  // by machine kind, filled with this stage's machines; the rest as a task contract's grants.
  const closeStopped = lambdaWithRole(ctx, {
    slug: "audit-close-stopped-incident",
    description: "irflow: close the incident of an incident execution aborted, timed out or failed before post-incident",
    entry: SERVICE_HANDLERS.closeStopped,
    statements: arns.apply((resolved): PolicyStatement[] => [
      ...Object.entries(CLOSE_STOPPED_EXECUTION_IAM).map(([action, kinds]): PolicyStatement => ({
        Effect: "Allow",
        Action: [action],
        Resource: executionsOf(resolved, machines.filter((machine) => (kinds as readonly string[]).includes(machine.manifest.machine)).map((machine) => machine.name)),
      })),
      ...grantStatements(CLOSE_STOPPED_IAM, resolved),
    ]),
    environment: {
      [ENV.config]: irflowConfigJson(ctx, storage),
      [ENV.incidentsTable]: storage.incidents.name,
      [ENV.auditBucket]: storage.auditBucket.bucket,
      [INCIDENT_MACHINE_ARNS_ENV]: arns.apply((resolved) => JSON.stringify(incidents.all.map((machine) => machineArnOf(resolved, machine.name)))),
    },
    timeoutSeconds: 300,
    memoryMb: 1024,
  });

  return { respond, startIncident, remind, archiver, closeStopped };
}
