import * as pulumi from "@pulumi/pulumi";
import { REMIND_SCHEDULE } from "../functions/approval/service-iam.js";
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

/** The reminder sweep on its schedule (every five minutes). */
export function createReminderSchedule(remind: Lambda, rules: Rules): void {
  const rule = rules.add({ slug: "approval-remind", description: "irflow: remind approvers of pending approvals", scheduleExpression: REMIND_SCHEDULE, targetArn: remind.fn.arn });
  allowRuleToInvoke("approval-remind", remind.fn.name, rule);
}
