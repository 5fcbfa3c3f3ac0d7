import { createHash } from "node:crypto";

/**
 * Deployed names: `irflow-<stage>-<rest>`, so several stages share an account without clashing, and
 * bounded to the service's limit (IAM roles and Lambda 64, state machines 80) with a short hash
 * of the full name when truncated, so two long names never collide.
 */
export function deployedName(stage: string, rest: string, max = 64): string {
  const full = `irflow-${stage}-${rest}`;
  if (full.length <= max) return full;
  const hash = createHash("sha256").update(full).digest("hex").slice(0, 8);
  return `${full.slice(0, max - 9).replace(/-+$/, "")}-${hash}`;
}

/** A manifest machine name (`irflow-<runbook>-<machine>`) as deployed in a stage. */
export function machineDeployedName(stage: string, runbook: string, machine: string): string {
  return deployedName(stage, `${runbook}-${machine}`, 80);
}

/** A task name (`ec2.isolate-instance`) as a name fragment (`ec2-isolate-instance`). */
export const taskSlug = (task: string): string => task.replace(/\./g, "-");
