import type { TaskContract } from "../../functions/contract/task-contract.js";
import type { CompiledRunbook } from "./compile-runbook.js";
import type { TriggerRule } from "./event-patterns.js";

export const MANIFEST_VERSION = 1;

export interface ManifestMachine {
  /** Deployed name: `irflow-<runbook>-<machine>`. */
  readonly name: string;
  readonly runbook: string;
  readonly machine: string;
  readonly definition: string;
  readonly tasks: readonly string[];
  readonly starts: readonly string[];
}

export interface ManifestTask {
  readonly summary: string;
  readonly risk: string;
  readonly csf: readonly string[];
  readonly timeoutSeconds: number;
  readonly iam: TaskContract["iam"];
  readonly undo?: TaskContract["undo"];
  readonly evidence?: TaskContract["evidence"];
  /** Machines that invoke it. */
  readonly usedBy: readonly string[];
}

export interface Manifest {
  readonly version: number;
  readonly runbooks: readonly {
    readonly id: string;
    readonly title: string;
    readonly severity: string;
    readonly file: string;
    readonly revision: string;
    readonly approvers: CompiledRunbook["runbook"]["frontMatter"]["approvers"];
    readonly incidentMachine: string;
    readonly triggers: readonly TriggerRule[];
  }[];
  readonly machines: readonly ManifestMachine[];
  readonly tasks: Readonly<Record<string, ManifestTask>>;
}

export function machineName(runbookId: string, machine: string): string {
  return `irflow-${runbookId}-${machine}`;
}

export function definitionPath(runbookId: string, machine: string): string {
  return `${runbookId}/${machine}.asl.json`;
}

/**
 * The deployment manifest the stacks build from: every machine with the tasks it may invoke,
 * every task with its exact IAM, every trigger as an EventBridge rule. Derived, never edited.
 */
export function buildManifest(compiled: readonly CompiledRunbook[], findTask: (name: string) => TaskContract | undefined): Manifest {
  const sorted = [...compiled].sort((a, b) => a.runbook.id.localeCompare(b.runbook.id));
  const machines: ManifestMachine[] = sorted.flatMap(({ runbook, machines: built }) =>
    built.map((machine) => ({
      name: machineName(runbook.id, machine.name),
      runbook: runbook.id,
      machine: machine.name,
      definition: definitionPath(runbook.id, machine.name),
      tasks: machine.tasks,
      starts: machine.starts.map((target) => {
        const [id, phase] = target.split("/") as [string, string];
        return machineName(id, phase);
      }),
    })),
  );
  const usedBy = new Map<string, string[]>();
  for (const machine of machines) for (const task of machine.tasks) usedBy.set(task, [...(usedBy.get(task) ?? []), machine.name]);
  const tasks: Record<string, ManifestTask> = {};
  for (const name of [...usedBy.keys()].sort()) {
    const contract = findTask(name);
    if (!contract) throw new Error(`manifest: machine uses unregistered task ${name}`);
    tasks[name] = {
      summary: contract.summary,
      risk: contract.risk,
      csf: contract.csf,
      timeoutSeconds: contract.timeoutSeconds ?? 120,
      iam: contract.iam,
      ...(contract.undo ? { undo: contract.undo } : {}),
      ...(contract.evidence ? { evidence: contract.evidence } : {}),
      usedBy: usedBy.get(name)!,
    };
  }
  return {
    version: MANIFEST_VERSION,
    runbooks: sorted.map(({ runbook, triggers }) => ({
      id: runbook.id,
      title: runbook.title,
      severity: runbook.frontMatter.severity,
      file: runbook.file,
      revision: runbook.revision,
      approvers: runbook.frontMatter.approvers,
      incidentMachine: machineName(runbook.id, "incident"),
      triggers,
    })),
    machines,
    tasks,
  };
}
