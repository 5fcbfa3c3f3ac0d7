import * as pulumi from "@pulumi/pulumi";
import { REMIND_SCHEDULE } from "../functions/approval/service-iam.js";
import { STOPPED_STATUSES } from "../functions/audit/close-stopped-incident.js";
import type { StackContext } from "./context.js";
import { allowRuleToInvoke, type Rules } from "./event-rules.js";
import type { Lambda } from "./lambda.js";
import type { DeployedMachine } from "./state-machines.js";

/** The end states of an execution: each one's history is archived (Step Functions keeps it 90 days). */
export const ENDED_STATUSES = ["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"] as const;

/**
 * One "Step Functions Execution Status Change" rule per runbook, listing its machines' ARNs
 * exactly: only this stage's irflow executions reach the archiver, and every pattern stays small.
 */
export function createArchiveRules(ctx: StackContext, machines: readonly DeployedMachine[], archiver: Lambda, rules: Rules): void {
  for (const runbook of ctx.manifest.runbooks) {
    const own = machines.filter((machine) => machine.manifest.runbook === runbook.id);
    const slug = `${runbook.id}-archive`;
    const rule = rules.add({
      slug,
      description: `${runbook.title}: archive every ended execution's history`,
      eventPattern: pulumi.all(own.map((machine) => machine.machine.arn)).apply((arns) => ({
        source: ["aws.states"],
        "detail-type": ["Step Functions Execution Status Change"],
        detail: { status: [...ENDED_STATUSES], stateMachineArn: arns },
      })),
      targetArn: archiver.fn.arn,
    });
    allowRuleToInvoke(slug, archiver.fn.name, rule);
  }
}

/**
 * One rule per runbook for its incident machine's ends that skip post-incident (ABORTED,
 * TIMED_OUT, FAILED): the closer closes that incident as the local runner does. Phase machines
 * are left out; a failed phase is caught by the incident machine, which still runs post-incident.
 */
export function createCloseStoppedRules(ctx: StackContext, machines: readonly DeployedMachine[], closer: Lambda, rules: Rules): void {
  for (const runbook of ctx.manifest.runbooks) {
    const incident = machines.find((machine) => machine.manifest.runbook === runbook.id && machine.manifest.machine === "incident");
    if (!incident) continue;
    const slug = `${runbook.id}-close-stopped`;
    const rule = rules.add({
      slug,
      description: `${runbook.title}: close an incident whose execution stopped before post-incident`,
      eventPattern: incident.machine.arn.apply((arn) => ({
        source: ["aws.states"],
        "detail-type": ["Step Functions Execution Status Change"],
        detail: { status: [...STOPPED_STATUSES], stateMachineArn: [arn] },
      })),
      targetArn: closer.fn.arn,
    });
    allowRuleToInvoke(slug, closer.fn.name, rule);
  }
}

/** The reminder sweep on its schedule (every five minutes). */
export function createReminderSchedule(remind: Lambda, rules: Rules): void {
  const rule = rules.add({ slug: "approval-remind", description: "irflow: remind approvers of pending approvals", scheduleExpression: REMIND_SCHEDULE, targetArn: remind.fn.arn });
  allowRuleToInvoke("approval-remind", remind.fn.name, rule);
}
