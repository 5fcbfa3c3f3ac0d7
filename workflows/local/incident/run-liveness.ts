import { hostname } from "node:os";
import { combinedLiveness, isMissingRunner, pidExists, runnerLiveness, type ExecutionRunner, type Liveness, type RunnerRecord, type Vantage } from "../runner-liveness.js";
import type { EmbeddedDatabase } from "../store/embedded-database.js";
import { SqliteRunners } from "../store/sqlite-runners.js";

/** Where this process stands when it asks: its host, the wall clock, its view of local pids. */
export interface LivenessProbe {
  readonly hostname: string;
  readonly nowMs: () => number;
  readonly pidExists: (pid: number) => boolean;
  readonly staleAfterMs?: number;
}

export const THIS_HOST: LivenessProbe = { hostname: hostname(), nowMs: Date.now, pidExists };

/** A run's liveness, with the runners it was judged by (to name them to a responder). */
export interface RunLiveness {
  readonly liveness: Liveness;
  readonly runners: readonly RunnerRecord[];
}

/** The probe's reading now: where and when a liveness question is asked. */
export const vantage = (probe: LivenessProbe = THIS_HOST): Vantage => ({ hostname: probe.hostname, nowMs: probe.nowMs(), pidExists: probe.pidExists, ...(probe.staleAfterMs !== undefined ? { staleAfterMs: probe.staleAfterMs } : {}) });

/** Each RUNNING execution (of one incident, if given) with whether its runner is alive. */
export function runningExecutionsLiveness(database: EmbeddedDatabase, filter: { readonly incidentId?: string }, probe: LivenessProbe = THIS_HOST): Map<string, RunLiveness> {
  const at = vantage(probe);
  return new Map(new SqliteRunners(database).running(filter).map((row) => [row.executionArn, { liveness: runnerLiveness(row.runner, at), runners: recorded(row.runner) }]));
}

/**
 * Whether the run an approval waits for is alive: the runner of the execution that asked. Asked
 * before the answer is written: a live run may take the answer and finish the phase at once.
 */
export function approvalRunLiveness(database: EmbeddedDatabase, executionArn: string, probe: LivenessProbe = THIS_HOST): RunLiveness {
  const runner = new SqliteRunners(database).execution(executionArn)?.runner;
  return { liveness: runnerLiveness(runner, vantage(probe)), runners: recorded(runner) };
}

/** The runners a responder can be told about: a missing row has nothing to describe. */
const recorded = (runner: ExecutionRunner | undefined): RunnerRecord[] => (runner === undefined || isMissingRunner(runner) ? [] : [runner]);

/** The run behind several executions (an abort's): alive if any one's runner is, gone only if every one's is. */
export function executionsRunLiveness(database: EmbeddedDatabase, executionArns: readonly string[], probe: LivenessProbe = THIS_HOST): RunLiveness {
  return combinedRunLiveness(executionArns.map((arn) => approvalRunLiveness(database, arn, probe)));
}

/** Several executions' liveness as one run's: alive if any is, gone only if all are. */
export function combinedRunLiveness(each: Iterable<RunLiveness>): RunLiveness {
  const all = [...each];
  const runners = new Map(all.flatMap((one) => one.runners).map((runner) => [runner.runnerId, runner]));
  return { liveness: combinedLiveness(all.map((one) => one.liveness)), runners: [...runners.values()] };
}
