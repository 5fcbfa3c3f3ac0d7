import * as z from "zod";
import type { ClientProvider } from "../contract/clients.js";
import type { IrflowConfig } from "../contract/config.js";
import { planDigest } from "../contract/digest.js";
import { invalidInput, preconditionFailed, TaskError } from "../contract/errors.js";
import type { Clock, Logger, Task, TaskContext } from "../contract/task.js";
import { IncidentId, StepId } from "../incident/document.js";
import type { StepJournal, StepRecord } from "./step-journal.js";

/** What the state machine sends a task: the payload of every generated Task state. */
export const TaskEnvelope = z.strictObject({
  mode: z.enum(["plan", "run"]),
  input: z.record(z.string(), z.unknown()),
  context: z.strictObject({
    incidentId: IncidentId.optional(),
    executionId: z.string().min(1).max(2048),
    runbookId: z.string().regex(/^[a-z][a-z0-9-]{2,40}$/),
    stepId: StepId,
    task: z.string(),
    item: z.number().int().min(0).optional(),
    allowExempt: z.boolean().optional(),
    maxChanges: z.number().int().min(1).max(1000).optional(),
  }),
});
export type TaskEnvelope = z.infer<typeof TaskEnvelope>;

/** What the workflow gets back from a plan: the full plan stays in the journal. */
export interface PlanSummary {
  readonly digest: string;
  readonly summary: string;
  readonly changes: number;
}

/** Everything outside the task that an invocation needs; Lambda and the local runner both build one. */
export interface TaskPorts {
  readonly aws: ClientProvider;
  readonly clock: Clock;
  readonly sleep: (milliseconds: number) => Promise<void>;
  readonly log: Logger;
  readonly config: IrflowConfig;
  readonly journal: StepJournal;
  readonly signal: AbortSignal;
}

/**
 * Runs one invocation of a task, as a Lambda entry point or the local runner would: validates the
 * envelope and the input against the contract, enforces the blast radius on the plan, makes a
 * step's run happen once per incident (a repeat returns the recorded result), validates the
 * output, and fills every declared output field (undefined becomes null) so the state machine's
 * ResultSelector always finds it.
 */
export async function executeTask(task: Task, payload: unknown, ports: TaskPorts): Promise<Record<string, unknown> | PlanSummary> {
  const envelope = parseEnvelope(payload);
  const { contract } = task;
  if (envelope.context.task !== contract.name) {
    throw invalidInput(`this function runs ${contract.name}, not ${envelope.context.task}`, "context.task");
  }
  const input = parseInput(task, envelope.input);
  const ctx = contextFor(envelope, ports);
  const key = { incidentId: ctx.incidentId, stepId: ctx.stepId, task: contract.name, ...(ctx.item !== undefined ? { item: ctx.item } : {}) };
  const base = { task: contract.name, at: ports.clock.now().toISOString(), executionId: ctx.executionId };

  if (envelope.mode === "plan") {
    if (!task.plan) return { digest: planDigest([]), summary: `${contract.name} changes nothing`, changes: 0 };
    const plan = await task.plan(input, ctx);
    const digest = planDigest(plan.changes);
    if (plan.changes.length > ctx.maxChanges) {
      throw preconditionFailed(`${contract.name} would change ${plan.changes.length} resources; this step allows ${ctx.maxChanges} (max-changes)`, "blast-radius");
    }
    await ports.journal.record(key, { ...base, mode: "plan", summary: plan.summary, changes: plan.changes, evidence: [], digest });
    ports.log.info("planned", { changes: plan.changes.length, digest });
    return { digest, summary: plan.summary, changes: plan.changes.length };
  }

  const previous = ctx.incidentId ? await ports.journal.find(key, "run") : undefined;
  if (previous?.output && previous.task === contract.name) {
    ports.log.info("already done for this incident and step; returning the recorded result", { at: previous.at });
    return fillOutput(task, previous.output);
  }
  const result = await task.run(input, ctx);
  const output = contract.output.safeParse(result.output);
  if (!output.success) {
    throw new TaskError("InvalidOutput", `${contract.name} returned an output that breaks its contract: ${formatIssues(output.error.issues)}`);
  }
  const record: StepRecord = {
    ...base,
    mode: "run",
    summary: result.summary,
    changes: result.changes,
    evidence: result.evidence ?? [],
    ...(result.undo ? { undo: result.undo } : {}),
    output: output.data,
  };
  const kept = ctx.incidentId ? await ports.journal.record(key, record) : record;
  ports.log.info(kept === record ? "done" : "a concurrent run recorded first; returning its result", { changes: kept.changes.length, summary: kept.summary });
  return fillOutput(task, kept.output ?? output.data);
}

function parseEnvelope(payload: unknown): TaskEnvelope {
  const parsed = TaskEnvelope.safeParse(payload);
  if (!parsed.success) throw invalidInput(`malformed task payload: ${formatIssues(parsed.error.issues)}`, "payload");
  return parsed.data;
}

/** Null means "absent" in a workflow document (an optional field someone saved); drop it. */
function parseInput(task: Task, raw: Record<string, unknown>): Record<string, unknown> {
  const present = Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== null));
  const parsed = task.contract.input.safeParse(present);
  if (!parsed.success) throw invalidInput(`invalid input for ${task.contract.name}: ${formatIssues(parsed.error.issues)}`, "input");
  return parsed.data;
}

function contextFor(envelope: TaskEnvelope, ports: TaskPorts): TaskContext {
  const c = envelope.context;
  return {
    incidentId: c.incidentId ?? "",
    executionId: c.executionId,
    runbookId: c.runbookId,
    stepId: c.stepId,
    ...(c.item !== undefined ? { item: c.item } : {}),
    allowExempt: c.allowExempt ?? false,
    maxChanges: c.maxChanges ?? ports.config.defaultMaxChanges,
    aws: ports.aws,
    clock: ports.clock,
    sleep: ports.sleep,
    log: ports.log,
    config: ports.config,
    signal: ports.signal,
  };
}

function fillOutput(task: Task, output: Record<string, unknown>): Record<string, unknown> {
  const filled: Record<string, unknown> = { ...output };
  for (const key of Object.keys(task.contract.output.shape)) if (filled[key] === undefined) filled[key] = null;
  return filled;
}

export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "(root)"}: ${issue.message}`)
    .join("; ");
}
