import type { TaskContract } from "./contract/task-contract.js";
import requestApproval from "./approval/request-approval.contract.js";
import closeIncident from "./audit/close-incident.contract.js";
import recordFailure from "./audit/record-failure.contract.js";
import openIncident from "./detect/open-incident.contract.js";
import isolateInstance from "./ec2/isolate-instance.contract.js";

/**
 * Every task the runbooks may name. The compiler, the manifest (and so the stacks' IAM) and the
 * local runner all read this one list; a task missing here cannot be compiled into a workflow.
 */
export const TASK_CONTRACTS: readonly TaskContract[] = [
  openIncident,
  requestApproval,
  recordFailure,
  closeIncident,
  isolateInstance,
];

/** Tasks that the compiler places itself; runbooks cannot name them. */
export const SYSTEM_TASKS = {
  openIncident: openIncident.name,
  requestApproval: requestApproval.name,
  recordFailure: recordFailure.name,
  closeIncident: closeIncident.name,
} as const;

const byName = new Map(TASK_CONTRACTS.map((task) => [task.name, task]));

export function findTask(name: string): TaskContract | undefined {
  return byName.get(name);
}

export function taskNames(): string[] {
  return [...byName.keys()];
}
