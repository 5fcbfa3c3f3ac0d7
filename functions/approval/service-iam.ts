import type { IamGrant } from "../contract/task-contract.js";

/**
 * The IAM of the approval functions that are not workflow tasks (so not in the manifest), beside
 * the code that needs it; the stacks read these. Resource templates as in task contracts.
 */
export const RESPOND_IAM: readonly IamGrant[] = [
  { actions: ["dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:Query"], resources: ["{table:approvals}"] },
  // Task tokens name no resource: SendTask* takes no resource-level restriction.
  { actions: ["states:SendTaskSuccess", "states:SendTaskFailure"], resources: ["*"] },
];

/** The 5-minute sweep: reads pending approvals, marks them reminded or expired, publishes reminders. */
export const REMIND_IAM: readonly IamGrant[] = [
  { actions: ["dynamodb:Query", "dynamodb:UpdateItem"], resources: ["{table:approvals}"] },
  { actions: ["sns:Publish"], resources: ["{topic:approvals}"] },
];

/** How often the sweep runs (an EventBridge schedule). */
export const REMIND_SCHEDULE = "rate(5 minutes)";
