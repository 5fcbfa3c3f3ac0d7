import type { ClientProvider } from "./clients.js";
import type { PlanResult, RunResult } from "./changes.js";
import type { IrflowConfig } from "./config.js";
import type { TaskContract, TaskInputSchema, TaskOutputSchema } from "./task-contract.js";
import { TaskContractError } from "./task-contract.js";
import type * as z from "zod";

export interface Clock {
  now(): Date;
}

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Everything a task may touch besides its input: all injected, so tests need no AWS. */
export interface TaskContext {
  readonly incidentId: string;
  readonly executionId: string;
  readonly runbookId: string;
  readonly stepId: string;
  /** Index of the item in a `foreach` step. */
  readonly item?: number;
  /** The runbook allows acting on resources tagged exempt or critical. */
  readonly allowExempt: boolean;
  /** The most resources this step may change. */
  readonly maxChanges: number;
  readonly aws: ClientProvider;
  readonly clock: Clock;
  /** Waits (for polling); resolves early, rejecting, when the signal aborts. */
  readonly sleep: (milliseconds: number) => Promise<void>;
  readonly log: Logger;
  readonly config: IrflowConfig;
  /** Aborted when the execution is stopped or the Lambda is about to time out. */
  readonly signal: AbortSignal;
}

export interface TaskImplementation<I, O> {
  /** Read-only dry run listing the changes `run` would make. Required unless the task only reads. */
  readonly plan?: (input: I, ctx: TaskContext) => Promise<PlanResult>;
  /** Acts, idempotently: a second run for the same step changes nothing more and says so. */
  readonly run: (input: I, ctx: TaskContext) => Promise<RunResult<O>>;
}

export interface Task<I extends TaskInputSchema = TaskInputSchema, O extends TaskOutputSchema = TaskOutputSchema>
  extends TaskImplementation<z.output<I>, z.input<O>> {
  readonly contract: TaskContract<I, O>;
}

/** Binds an implementation to its contract; a changing task without a plan is refused at load. */
export function implementTask<I extends TaskInputSchema, O extends TaskOutputSchema>(
  contract: TaskContract<I, O>,
  implementation: TaskImplementation<z.output<I>, z.input<O>>,
): Task<I, O> {
  if (contract.risk !== "read" && !implementation.plan) {
    throw new TaskContractError(`task ${contract.name}: a ${contract.risk} task must implement plan (its dry run)`);
  }
  return { contract, ...implementation };
}
