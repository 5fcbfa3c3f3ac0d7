import { IrflowConfig } from "../../../functions/contract/config.js";
import type { Task } from "../../../functions/contract/task.js";
import { executeTask, type PlanSummary, type TaskPorts } from "../../../functions/runtime/execute-task.js";
import { MemoryStepJournal } from "../../../functions/runtime/step-journal.js";
import { loadScenario, SimulatedAccount, type Scenario, type ScenarioOptions, type SimulatedAccountOptions } from "../../../workflows/local/simulated-account/index.js";

/** Runs the real tasks against a simulated account, through the shared executor, as a workflow would. */

export const NOW = new Date("2026-11-24T12:00:00.000Z");

/** An account (123456789012 in us-east-1, its clock at NOW) holding just `resources`, for tests of single SDK calls. */
export function accountWith(resources: SimulatedAccountOptions["resources"]): SimulatedAccount {
  return new SimulatedAccount({ accountId: "123456789012", region: "us-east-1", now: () => NOW, resources });
}
export const INCIDENT_ID = "inc-20261124-0001abcd";
export const SCENARIOS = new URL("../../scenarios/", import.meta.url);

export const scenarioPath = (name: string): string => new URL(`${name}.yaml`, SCENARIOS).pathname;

export interface Run {
  readonly ports: TaskPorts;
  readonly journal: MemoryStepJournal;
  readonly sleeps: number[];
  readonly logs: { level: string; message: string }[];
  plan(task: Task, input: Record<string, unknown>, context?: Partial<Invocation>): Promise<PlanSummary>;
  run(task: Task, input: Record<string, unknown>, context?: Partial<Invocation>): Promise<Record<string, unknown>>;
}

export interface Invocation {
  incidentId: string;
  stepId: string;
  /** The item of a `foreach` step. */
  item: number;
  allowExempt: boolean;
  maxChanges: number;
}

/** Ports whose AWS clients all talk to the account; a fixed clock, an instant sleep, an in-memory journal. */
export function runner(account: SimulatedAccount, config: Partial<IrflowConfig> = {}, overrides: Partial<Pick<TaskPorts, "sleep" | "signal">> = {}, now: Date = NOW): Run {
  const journal = new MemoryStepJournal();
  const sleeps: number[] = [];
  const logs: Run["logs"] = [];
  const log = (level: string) => (message: string) => void logs.push({ level, message });
  const ports: TaskPorts = {
    aws: account.clientProvider(),
    clock: { now: () => now },
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    log: { info: log("info"), warn: log("warn"), error: log("error") },
    config: IrflowConfig.parse({
      region: account.region,
      evidenceBucket: `irflow-evidence-${account.accountId}`,
      topics: {
        responders: `arn:aws:sns:${account.region}:${account.accountId}:irflow-responders`,
        owner: `arn:aws:sns:${account.region}:${account.accountId}:irflow-owner`,
        "security-lead": `arn:aws:sns:${account.region}:${account.accountId}:irflow-security-lead`,
      },
      ...config,
    }),
    journal,
    signal: new AbortController().signal,
    ...overrides,
  };
  const envelope = (task: Task, mode: "plan" | "run", input: Record<string, unknown>, context: Partial<Invocation> = {}) => ({
    mode,
    input,
    context: {
      incidentId: context.incidentId ?? INCIDENT_ID,
      executionId: `arn:aws:states:${account.region}:${account.accountId}:execution:irflow-simulated:${context.incidentId ?? INCIDENT_ID}`,
      runbookId: "simulated-account",
      stepId: context.stepId ?? "contain/simulated-step",
      task: task.contract.name,
      ...(context.item !== undefined ? { item: context.item } : {}),
      ...(context.allowExempt !== undefined ? { allowExempt: context.allowExempt } : {}),
      ...(context.maxChanges !== undefined ? { maxChanges: context.maxChanges } : {}),
    },
  });
  return {
    ports,
    journal,
    sleeps,
    logs,
    plan: async (task, input, context) => (await executeTask(task, envelope(task, "plan", input, context), ports)) as PlanSummary,
    run: async (task, input, context) => (await executeTask(task, envelope(task, "run", input, context), ports)) as Record<string, unknown>,
  };
}

/** A scenario from test/scenarios, on the fixed clock, with instant latency. */
export function scenario(name: string, options: ScenarioOptions = {}): Promise<Scenario> {
  return loadScenario(scenarioPath(name), { now: () => NOW, sleep: () => Promise.resolve(), ...options });
}

/** The error a task invocation failed with (the promise must reject). */
export async function failure(promise: Promise<unknown>): Promise<Error & { detail?: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`rejected with a non-error: ${String(error)}`);
  }
  throw new Error("expected the invocation to fail, but it succeeded");
}
