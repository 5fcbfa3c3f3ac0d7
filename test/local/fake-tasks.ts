import { TaskError } from "../../functions/contract/errors.js";
import { TASK_CONTRACTS } from "../../functions/registry.js";
import { formatIssues, TaskEnvelope } from "../../functions/runtime/execute-task.js";
import type { TaskInputSchema } from "../../functions/contract/task-contract.js";
import type { LocalTask } from "../../workflows/local/local-engine.js";

export interface FakeCall {
  readonly task: string;
  readonly mode: "plan" | "run";
  readonly stepId: string;
  readonly input: Record<string, unknown>;
}

type Produce = (input: Record<string, unknown>) => Record<string, unknown>;

/**
 * Task functions for end-to-end runs of generated machines: each checks the payload the machine
 * built against the real envelope and the task's input contract (as the executor would), records
 * the call, and answers with an output that must satisfy the task's output contract; fields left
 * out come back as null, as the executor fills them. A plan is a one-change summary.
 *
 * `approval.request` is the exception: the generated Approve states send it a flat payload (the
 * contract's input itself, with the task token), not the `{ mode, input, context }` envelope.
 */
export function fakeTasks(outputs: Record<string, Produce | Error>) {
  const calls: FakeCall[] = [];
  const contracts = new Map(TASK_CONTRACTS.map((contract) => [contract.name, contract]));
  const task = (name: string): LocalTask | undefined => {
    const contract = contracts.get(name);
    const produce = outputs[name];
    if (!contract || !produce) return undefined;
    return async (payload) => {
      if (name === "approval.request") return approvalRequest(contract.input, payload, calls);
      const envelope = TaskEnvelope.safeParse(payload);
      if (!envelope.success) throw new TaskError("InvalidInput", `${name}: malformed payload: ${formatIssues(envelope.error.issues)}`);
      const present = Object.fromEntries(Object.entries(envelope.data.input).filter(([, value]) => value !== null));
      const input = contract.input.safeParse(present);
      if (!input.success) throw new TaskError("InvalidInput", `${name}: ${formatIssues(input.error.issues)}`);
      calls.push({ task: name, mode: envelope.data.mode, stepId: envelope.data.context.stepId, input: envelope.data.input });
      if (envelope.data.mode === "plan") return { digest: `sha256:${name}`, summary: `${name} would change one resource`, changes: 1 };
      if (produce instanceof Error) throw produce;
      const output = contract.output.safeParse(produce(envelope.data.input));
      if (!output.success) throw new Error(`fake ${name} breaks its output contract: ${formatIssues(output.error.issues)}`);
      return Object.fromEntries(Object.keys(contract.output.shape).map((key) => [key, (output.data as Record<string, unknown>)[key] ?? null]));
    };
  };
  return { task, calls };
}

async function approvalRequest(schema: TaskInputSchema, payload: unknown, calls: FakeCall[]): Promise<Record<string, unknown>> {
  const request = schema.safeParse(payload);
  if (!request.success) throw new TaskError("InvalidInput", `approval.request: ${formatIssues(request.error.issues)}`);
  calls.push({ task: "approval.request", mode: "run", stepId: String(request.data.stepId), input: request.data });
  return { approvalId: `approval-${calls.length}` };
}
