import type * as pulumi from "@pulumi/pulumi";
import { createAccessPolicies } from "./access-policies.js";
import { createApprovalApi } from "./approval-api.js";
import { createArchiveRules, createCloseStoppedRules, createReminderSchedule } from "./audit-archive.js";
import type { StageConfig } from "./config.js";
import { accountOf, type StackContext } from "./context.js";
import { createRules } from "./event-rules.js";
import type { FunctionFactory } from "./function-factory.js";
import type { Manifest } from "./manifest.js";
import { resourceArns } from "./resource-arns.js";
import { createServiceFunctions } from "./service-functions.js";
import { createStateMachines } from "./state-machines.js";
import { createStorage } from "./storage.js";
import { createTaskFunctions } from "./task-functions.js";
import { createTriggers } from "./triggers.js";

export interface IrflowOptions {
  readonly stage: string;
  readonly production: boolean;
  readonly config: StageConfig;
  readonly manifest: Manifest;
  readonly root: string;
  readonly functions: FunctionFactory;
}

export interface IrflowOutputs {
  readonly approvalApiUrl: pulumi.Output<string>;
  readonly approvalsTopic: pulumi.Output<string>;
  readonly auditBucket: pulumi.Output<string>;
  readonly evidenceBucket: pulumi.Output<string>;
  readonly incidentsTable: pulumi.Output<string>;
  readonly approvalsTable: pulumi.Output<string>;
  readonly deadLetterQueue: pulumi.Output<string>;
  readonly respondersPolicy: pulumi.Output<string>;
  readonly auditorsPolicy: pulumi.Output<string>;
  readonly incidentMachines: Record<string, pulumi.Output<string>>;
}

/**
 * The whole irflow deployment of one stage, derived from the manifest: storage, one function per
 * task, one state machine per definition, the runbooks' triggers, the approval API and reminders,
 * the archiver, the closer of incidents whose execution stopped before post-incident, and the
 * policies responders and auditors need.
 */
export function deployIrflow(options: IrflowOptions): IrflowOutputs {
  const ctx: StackContext = {
    ...options,
    ...accountOf(),
    tags: { "irflow:stage": options.stage, "irflow:managed-by": "irflow-stacks" },
  };
  const storage = createStorage(ctx);
  const arns = resourceArns(ctx, storage);
  const tasks = createTaskFunctions(ctx, storage, arns);
  const machines = createStateMachines(ctx, tasks);
  const services = createServiceFunctions(ctx, storage, arns, machines);
  const api = createApprovalApi(ctx, services.respond, services.startIncident);
  const rules = createRules(ctx);
  createTriggers(ctx, machines, rules);
  createArchiveRules(ctx, machines, services.archiver, rules);
  createCloseStoppedRules(ctx, machines, services.closeStopped, rules);
  createReminderSchedule(services.remind, rules);
  rules.seal();
  const policies = createAccessPolicies(ctx, storage, machines, api.routeArns);
  return {
    approvalApiUrl: api.api.apiEndpoint,
    approvalsTopic: storage.approvalsTopic.arn,
    auditBucket: storage.auditBucket.bucket,
    evidenceBucket: storage.evidenceBucketName,
    incidentsTable: storage.incidents.name,
    approvalsTable: storage.approvals.name,
    deadLetterQueue: rules.deadLetterQueue.url,
    respondersPolicy: policies.responders.arn,
    auditorsPolicy: policies.auditors.arn,
    incidentMachines: Object.fromEntries(machines.filter((machine) => machine.manifest.machine === "incident").map((machine) => [machine.manifest.runbook, machine.machine.arn])),
  };
}
