import { clientFactory } from "../../functions/contract/clients.js";
import { IrflowConfig } from "../../functions/contract/config.js";
import type { Task } from "../../functions/contract/task.js";
import { executeTask, type TaskPorts } from "../../functions/runtime/execute-task.js";
import { MemoryStepJournal } from "../../functions/runtime/step-journal.js";

export const NOW = new Date("2026-11-24T12:00:00.000Z");
export const INCIDENT_ID = "inc-20261124-0001abcd";

export interface Harness {
  readonly journal: MemoryStepJournal;
  readonly logs: { level: string; message: string; fields?: Record<string, unknown> }[];
  readonly sleeps: number[];
  readonly ports: TaskPorts;
  /** Invokes the task as the state machine would, through the shared executor. */
  plan(input: Record<string, unknown>, context?: Partial<InvocationContext>): Promise<{ digest: string; summary: string; changes: number }>;
  run(input: Record<string, unknown>, context?: Partial<InvocationContext>): Promise<Record<string, unknown>>;
}

export interface InvocationContext {
  incidentId: string;
  stepId: string;
  item: number;
  allowExempt: boolean;
  maxChanges: number;
}

/**
 * A task wired to in-memory ports: real SDK v3 clients (which tests replace with
 * aws-sdk-client-mock), a fixed clock, an instant sleep, an in-memory journal and captured logs.
 */
export function harness(task: Task, config: Partial<IrflowConfig> = {}): Harness {
  const journal = new MemoryStepJournal();
  const logs: Harness["logs"] = [];
  const sleeps: number[] = [];
  const ports: TaskPorts = {
    aws: clientFactory({ region: "us-east-1", maxAttempts: 1 }),
    clock: { now: () => NOW },
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    log: {
      info: (message, fields) => logs.push({ level: "info", message, ...(fields ? { fields } : {}) }),
      warn: (message, fields) => logs.push({ level: "warn", message, ...(fields ? { fields } : {}) }),
      error: (message, fields) => logs.push({ level: "error", message, ...(fields ? { fields } : {}) }),
    },
    config: IrflowConfig.parse({ region: "us-east-1", evidenceBucket: "irflow-evidence-123456789012", ...config }),
    journal,
    signal: new AbortController().signal,
  };
  const envelope = (mode: "plan" | "run", input: Record<string, unknown>, context: Partial<InvocationContext> = {}) => ({
    mode,
    input,
    context: {
      incidentId: context.incidentId ?? INCIDENT_ID,
      executionId: "arn:aws:states:us-east-1:123456789012:execution:irflow-test-contain:inc-20261124-0001abcd-contain",
      runbookId: "test-runbook",
      stepId: context.stepId ?? "contain/test-step",
      task: task.contract.name,
      ...(context.item !== undefined ? { item: context.item } : {}),
      ...(context.allowExempt !== undefined ? { allowExempt: context.allowExempt } : {}),
      ...(context.maxChanges !== undefined ? { maxChanges: context.maxChanges } : {}),
    },
  });
  return {
    journal,
    logs,
    sleeps,
    ports,
    plan: async (input, context) => (await executeTask(task, envelope("plan", input, context), ports)) as { digest: string; summary: string; changes: number },
    run: async (input, context) => (await executeTask(task, envelope("run", input, context), ports)) as Record<string, unknown>,
  };
}

/** An AWS SDK service error as the SDK raises it (name, $metadata), for mocks to reject with. */
export function awsError(name: string, httpStatusCode = 400, message = name): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode }, $fault: httpStatusCode >= 500 ? "server" : "client" });
}
