import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { StackContext } from "./context.js";
import type { Rules } from "./event-rules.js";
import { policyDocument, trustPolicy } from "./iam.js";
import { deployedName } from "./names.js";
import type { DeployedMachine } from "./state-machines.js";

export interface TriggerRuleInfo {
  readonly runbook: string;
  readonly rule: aws.cloudwatch.EventRule;
}

/**
 * The runbooks' triggers as EventBridge rules that start the runbook's incident machine with the
 * event as input: event patterns and schedules from the manifest. Manual triggers need no rule (a
 * responder starts the incident machine; docs/deploy.md).
 */
export function createTriggers(ctx: StackContext, machines: readonly DeployedMachine[], rules: Rules): TriggerRuleInfo[] {
  const incident = new Map(machines.filter((machine) => machine.manifest.machine === "incident").map((machine) => [machine.manifest.runbook, machine]));
  const role = new aws.iam.Role("triggers-role", {
    name: deployedName(ctx.stage, "triggers"),
    description: `irflow ${ctx.stage}: EventBridge starts incident machines`,
    assumeRolePolicy: ctx.account.apply((account) => trustPolicy("events.amazonaws.com", account)),
    tags: ctx.tags,
  });
  const policy = new aws.iam.RolePolicy("triggers-policy", {
    role: role.id,
    name: "irflow",
    policy: pulumi
      .all([...incident.values()].map((machine) => machine.machine.arn))
      .apply((arns) => JSON.stringify(policyDocument([{ Effect: "Allow", Action: ["states:StartExecution"], Resource: arns }]))),
  });
  const roleArn = pulumi.all([role.arn, policy.id]).apply(([arn]) => arn);

  const created: TriggerRuleInfo[] = [];
  for (const runbook of ctx.manifest.runbooks) {
    const target = incident.get(runbook.id);
    if (!target) throw new Error(`runbook ${runbook.id} has no incident machine in the manifest`);
    runbook.triggers.forEach((trigger, index) => {
      if (trigger.kind === "manual") return;
      const rule = rules.add({
        slug: `${runbook.id}-trigger-${index + 1}`,
        description: `${runbook.title}: ${trigger.description}`,
        ...(trigger.kind === "event" ? { eventPattern: trigger.pattern } : { scheduleExpression: trigger.expression }),
        targetArn: target.machine.arn,
        roleArn,
      });
      created.push({ runbook: runbook.id, rule });
    });
  }
  return created;
}
