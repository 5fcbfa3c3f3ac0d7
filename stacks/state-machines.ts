import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { StackContext } from "./context.js";
import { fillDefinition, placeholdersOf } from "./definition.js";
import { policyDocument, trustPolicy, type PolicyStatement } from "./iam.js";
import type { Lambda } from "./lambda.js";
import { loadDefinition, ManifestError, type ManifestMachine } from "./manifest.js";
import { deployedName, machineDeployedName } from "./names.js";

export interface DeployedMachine {
  readonly manifest: ManifestMachine;
  readonly name: string;
  readonly machine: aws.sfn.StateMachine;
  readonly role: aws.iam.Role;
}

/** Vended log delivery and X-Ray: these actions take no resource but "*" (AWS's documented policy). */
const LOGGING_AND_TRACING: readonly PolicyStatement[] = [
  {
    Effect: "Allow",
    Action: [
      "logs:CreateLogDelivery",
      "logs:GetLogDelivery",
      "logs:UpdateLogDelivery",
      "logs:DeleteLogDelivery",
      "logs:ListLogDeliveries",
      "logs:PutResourcePolicy",
      "logs:DescribeResourcePolicies",
      "logs:DescribeLogGroups",
    ],
    Resource: ["*"],
  },
  { Effect: "Allow", Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"], Resource: ["*"] },
];

/** The managed rule Step Functions uses to learn that a `.sync` child finished. */
export const SYNC_RULE = "StepFunctionsGetEventsForStepFunctionsExecutionRule";

const key = (machine: ManifestMachine): string => `${machine.runbook}/${machine.machine}`;

/**
 * One STANDARD state machine per generated definition, placeholders filled with real ARNs, logging
 * ALL with execution data, X-Ray on. Its role may invoke only the functions of its own tasks and
 * start, describe and stop only its own phase machines.
 */
export function createStateMachines(ctx: StackContext, tasks: Readonly<Record<string, Lambda>>): DeployedMachine[] {
  const byManifestName = new Map(ctx.manifest.machines.map((machine) => [machine.name, machine]));
  const deployed = new Map<string, DeployedMachine>();
  // Phase machines first: an incident machine's definition and role need their ARNs.
  const ordered = [...ctx.manifest.machines].sort((a, b) => a.starts.length - b.starts.length);
  for (const machine of ordered) {
    const definition = loadDefinition(ctx.root, machine);
    const used = placeholdersOf(definition);
    const declaredTasks = [...machine.tasks].sort();
    if (JSON.stringify([...used.tasks].sort()) !== JSON.stringify(declaredTasks)) {
      throw new ManifestError(`${machine.definition}: calls tasks ${[...used.tasks].sort().join(", ")} but the manifest lists ${declaredTasks.join(", ")} (run npm run compile)`);
    }
    const children = machine.starts.map((name) => {
      const child = byManifestName.get(name);
      const built = child && deployed.get(key(child));
      if (!built) throw new ManifestError(`${machine.name} starts ${name}, which is not deployed`);
      return built;
    });
    const childKeys = new Set(children.map((child) => key(child.manifest)));
    for (const placeholder of used.machines) {
      if (!childKeys.has(placeholder)) throw new ManifestError(`${machine.definition}: starts ${placeholder}, which the manifest does not list in starts`);
    }
    const slug = `${machine.runbook}-${machine.machine}`;
    const name = machineDeployedName(ctx.stage, machine.runbook, machine.machine);
    const logGroup = new aws.cloudwatch.LogGroup(`${slug}-machine-logs`, { name: `/aws/vendedlogs/states/${name}`, retentionInDays: ctx.config.logRetentionDays, tags: ctx.tags });
    const role = new aws.iam.Role(`${slug}-machine-role`, {
      name: deployedName(ctx.stage, `${slug}-sfn`),
      assumeRolePolicy: ctx.account.apply((account) => trustPolicy("states.amazonaws.com", account)),
      tags: ctx.tags,
    });
    const functionArns = pulumi.all(declaredTasks.map((task) => tasks[task]!.fn.arn));
    const childArns = pulumi.all(children.map((child) => child.machine.arn));
    const policy = new aws.iam.RolePolicy(`${slug}-machine-policy`, {
      role: role.id,
      name: "irflow",
      policy: pulumi.all([functionArns, childArns, ctx.partition, ctx.region, ctx.account]).apply(([fns, childMachines, partition, region, account]) => {
        const statements: PolicyStatement[] = [...LOGGING_AND_TRACING];
        if (fns.length > 0) statements.push({ Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: fns.flatMap((arn) => [arn, `${arn}:*`]) });
        if (childMachines.length > 0) {
          statements.push(
            { Effect: "Allow", Action: ["states:StartExecution"], Resource: childMachines },
            { Effect: "Allow", Action: ["states:DescribeExecution", "states:StopExecution"], Resource: children.map((child) => `arn:${partition}:states:${region}:${account}:execution:${child.name}:*`) },
            { Effect: "Allow", Action: ["events:PutTargets", "events:PutRule", "events:DescribeRule"], Resource: [`arn:${partition}:events:${region}:${account}:rule/${SYNC_RULE}`] },
          );
        }
        return JSON.stringify(policyDocument(statements));
      }),
    });
    const filled = pulumi.all([functionArns, childArns]).apply(([fns, childMachines]) =>
      JSON.stringify(
        fillDefinition(
          definition,
          {
            tasks: Object.fromEntries(declaredTasks.map((task, index) => [task, fns[index]!])),
            machines: Object.fromEntries(children.map((child, index) => [key(child.manifest), childMachines[index]!])),
          },
          machine.definition,
        ),
      ),
    );
    const stateMachine = new aws.sfn.StateMachine(
      `${slug}-machine`,
      {
        name,
        type: "STANDARD",
        roleArn: role.arn,
        definition: filled,
        loggingConfiguration: { level: "ALL", includeExecutionData: true, logDestination: pulumi.interpolate`${logGroup.arn}:*` },
        tracingConfiguration: { enabled: true },
        tags: { ...ctx.tags, "irflow:runbook": machine.runbook, "irflow:machine": machine.machine },
      },
      // Step Functions checks the role when the machine is created: it must already hold its policy.
      { dependsOn: [policy] },
    );
    deployed.set(key(machine), { manifest: machine, name, machine: stateMachine, role });
  }
  return ctx.manifest.machines.map((machine) => deployed.get(key(machine))!);
}
