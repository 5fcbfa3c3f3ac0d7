import { userInfo } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import type { Command } from "commander";
import { ExecutionArn, INCIDENT_ID_FORM, IncidentId } from "../../functions/incident/document.js";
import { InvalidAbortRequest, requestAbort, type AbortRequest } from "../../workflows/local/incident/abort-requests.js";
import { executionsRunLiveness, type RunLiveness } from "../../workflows/local/incident/run-liveness.js";
import { describeRunners } from "../../workflows/local/runner-liveness.js";
import { SqliteAbortRequests } from "../../workflows/local/store/sqlite-abort-requests.js";
import type { SqliteAuditLog } from "../../workflows/local/store/sqlite-audit-log.js";
import { SqliteHistory, type ExecutionSummary } from "../../workflows/local/store/sqlite-history.js";
import { EXIT, paint } from "../output.js";
import { terminalField as f } from "../terminal-text.js";
import { openAuditStore } from "./audit-store.js";
import { UsageError } from "../usage-error.js";
import { identityFor, storeOptions, type StoreOptions } from "./store-options.js";

interface AbortOptions extends StoreOptions {
  reason: string;
  as?: string;
  wait: boolean;
  timeout: string;
}

/** How often the waiting command looks at the executions' status. */
const WAIT_POLL_MS = 100;

/** What the command reads of an execution: which one, which incident, and whether it still runs. */
type ExecutionState = Pick<ExecutionSummary, "executionArn" | "status" | "incidentId">;

export function registerAbort(program: Command): void {
  program
    .command("abort")
    .description("stop an incident's running executions (or one execution) from another terminal: the run in progress takes the request, stops them and records who and why")
    .argument("<target>", "incident id (inc-…: its running incident machine and phases) or one execution ARN")
    .requiredOption("--reason <text>", "why (the executions' cause, the audit log)")
    .option("--as <name>", "who asks", userInfo().username)
    .option("--timeout <seconds>", "how long to wait for the run to stop", "10")
    .option("--no-wait", "record the request and return without waiting for the run to stop")
    .addOption(storeOptions.dir())
    .addOption(storeOptions.db())
    .addHelpText(
      "after",
      `
The request is stored in the embedded database and audited; the process running the incident
(irflow run / demo, or any runner on the same file) looks for requests every 50 ms while it runs.
A run that is not alive (its process was killed: irflow executions shows "(run not alive)") would
never take the request: abort then records nothing, exits 1 and points to irflow incidents close.
Exit codes: 0 every named execution ended ABORTED (or recorded, with --no-wait); 1 unknown target,
nothing running, a run that is not alive, executions that ended on their own (listed with their statuses), the running process
took the request but could not carry it out (with its reason), or the run did not stop in time (the
request stays recorded); 2 usage error. The irflow run whose incident is aborted
prints "aborted" and exits 1.`,
    )
    .action(async (target: string, options: AbortOptions) => {
      process.exitCode = await abort(target, options);
    });
}

async function abort(target: string, options: AbortOptions): Promise<number> {
  const reason = options.reason.trim();
  if (reason === "") throw new UsageError("--reason must say why the run is stopped");
  const timeoutMs = timeoutOf(options.timeout);
  const requestedBy = (await identityFor(options)).actor;
  const { arn, incident } = targetArgument(target);
  const { database, log } = openAuditStore(options, "write");
  try {
    const store = new SqliteAbortRequests(database);
    const executions = new SqliteHistory(database);
    const found = arn !== undefined ? runningExecution(executions, arn) : runningOfIncident(executions, log, incident);
    if (typeof found === "string") return problem(found);
    const incidentId = incident ?? found[0]?.incidentId;
    // Only the process that holds the executions takes the request: when it is gone, nothing ever will.
    const run = executionsRunLiveness(database, found.map((e) => e.executionArn));
    if (run.liveness === "gone") return problem(goneRun(incidentId ?? arn!, incidentId, run));
    const request = requestAbort({ ...(incidentId !== undefined ? { incidentId } : {}), executionArns: found.map((e) => e.executionArn), requestedBy, reason }, { store, audit: log });
    write(`${paint.yellow("abort requested")}: ${f(request.id)} for ${f(incidentId ?? arn!)} (${plural(found.length, "running execution")}) by ${f(requestedBy)}: ${f(reason)}`);
    if (run.liveness === "unknown") write(paint.yellow(f(unknownRun(incidentId, run))));
    if (!options.wait) {
      write(paint.dim(`the run stops at its next look; irflow executions${incidentId ? ` --incident ${incidentId}` : ""} shows when`));
      return EXIT.ok;
    }
    write(`waiting for the run to stop… ${paint.dim(`(up to ${timeoutMs / 1000} s; --no-wait to skip)`)}`);
    return await waitForStop(store, executions, request, timeoutMs);
  } catch (error) {
    if (error instanceof InvalidAbortRequest) throw new UsageError(error.message);
    throw error;
  } finally {
    database.close();
  }
}

/** Waits until none of the request's executions runs, or the time is up; says which and how. */
async function waitForStop(store: SqliteAbortRequests, executions: SqliteHistory, request: AbortRequest, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const states: ExecutionState[] = request.executionArns.map((arn) => executions.describe(arn) ?? { executionArn: arn, status: "RUNNING" });
    const taken = store.get(request.id);
    const stillRunning = states.filter((e) => e.status === "RUNNING");
    const look = lookAt(states, taken);
    if (look.ended) {
      writeStates(states);
      const history = request.incidentId ? `; irflow history ${request.incidentId} for the timeline` : "";
      const { verdict } = look;
      if (verdict.stopped) {
        write(`${paint.green("stopped")}: taken by ${f(taken?.takenBy ?? taken?.failedBy ?? "?")}${history}`);
        // Given back after its stops (an audit entry that failed, say): stopped, but not all is recorded.
        const failure = givenBack(taken);
        if (failure !== undefined) process.stderr.write(`${paint.yellow("warning:")} ${f(failure)}\n`);
        return EXIT.ok;
      }
      return problem(`${verdict.problem} (the request stays recorded as ${request.id})${history}`);
    }
    if (look.givenBack !== undefined) {
      writeStates(states);
      return problem(`${look.givenBack} (the request stays recorded as ${request.id})`);
    }
    if (Date.now() >= deadline) {
      const left = plural(stillRunning.length, "execution");
      if (taken?.takenAt !== undefined) return problem(`${taken.takenBy ?? "the run"} took the request but ${left} still run after ${timeoutMs / 1000} s`);
      return problem(
        `no running process took the request in ${timeoutMs / 1000} s; it stays recorded as ${request.id} and is carried out if the run looks again. A run that was killed leaves its executions RUNNING in the store.`,
      );
    }
    await sleep(Math.min(WAIT_POLL_MS, Math.max(0, deadline - Date.now())));
  }
}

/**
 * Why the request was given back, when the process that took it could not carry it out and no
 * process holds it now; undefined otherwise (untaken, taken, or taken again after a failure).
 */
export function givenBack(request: Pick<AbortRequest, "takenAt" | "failedAt" | "failedBy" | "failedReason"> | undefined): string | undefined {
  if (request === undefined || request.takenAt !== undefined || request.failedAt === undefined) return undefined;
  return `the running process could not carry out the request: ${request.failedReason ?? "no reason recorded"} (${request.failedBy ?? "a process"} gave it back at ${request.failedAt})`;
}

/**
 * What one look at the named executions and the request says. Once none of them runs, the stop
 * verdict decides: a process that gave the request back after its stops had ended them still
 * stopped them. While some run, a request given back ends the wait with its reason.
 */
export function lookAt(
  states: readonly ExecutionState[],
  request: Pick<AbortRequest, "takenAt" | "failedAt" | "failedBy" | "failedReason"> | undefined,
): { ended: true; verdict: ReturnType<typeof stopVerdict> } | { ended: false; givenBack?: string } {
  if (states.every((e) => e.status !== "RUNNING")) return { ended: true, verdict: stopVerdict(states, request) };
  const failure = givenBack(request);
  return failure === undefined ? { ended: false } : { ended: false, givenBack: failure };
}

/**
 * Once none of the named executions runs: stopped only when a run took the request (or took it and
 * gave it back) and every one of them ended ABORTED. Otherwise (some) ended on their own, which the
 * abort did not do.
 */
export function stopVerdict(ended: readonly ExecutionState[], request: Pick<AbortRequest, "takenAt" | "failedAt"> | undefined): { stopped: true } | { stopped: false; problem: string } {
  const own = ended.filter((e) => e.status !== "ABORTED");
  const tookIt = request?.takenAt !== undefined || request?.failedAt !== undefined;
  if (tookIt && own.length === 0) return { stopped: true };
  const statuses = own.map((e) => `${e.executionArn} ${e.status}`).join(", ");
  if (own.length === ended.length) return { stopped: false, problem: `nothing was stopped: the executions ended on their own (${statuses})` };
  if (!tookIt) return { stopped: false, problem: `no run took the request: the executions ended without it (${ended.map((e) => `${e.executionArn} ${e.status}`).join(", ")})` };
  return { stopped: false, problem: `${plural(own.length, "execution")} ended on their own before the run stopped them (${statuses})` };
}

/** Why the abort is not requested: the run that holds the executions is gone; the way out. */
function goneRun(target: string, incidentId: string | undefined, run: RunLiveness): string {
  const who = describeRunners(run.runners);
  const out = incidentId !== undefined ? `; close the incident with irflow incidents close ${incidentId} --reason <why> (no --force needed)` : "";
  return `nothing aborted: the run that holds ${target}'s running executions is not alive${who ? ` (${who})` : ""}, so no process would take an abort request${out}`;
}

/** Said with the request when irflow cannot tell whether the run is alive (it may wait in vain). */
function unknownRun(incidentId: string | undefined, run: RunLiveness): string {
  const who = describeRunners(run.runners);
  const out = incidentId !== undefined ? `; if its process died, irflow incidents close ${incidentId} --reason <why> --force` : "";
  return `the run may not be alive: irflow cannot tell${who ? ` (${who}; the process exists but its heartbeat is stale)` : " (the store records no process for its executions)"}${out}`;
}

function runningExecution(executions: SqliteHistory, arn: string): ExecutionState[] | string {
  const execution = executions.describe(arn);
  if (!execution) return `no execution ${arn} in this database (irflow executions lists them)`;
  if (execution.status !== "RUNNING") return `nothing running: ${arn} has already stopped (${execution.status})`;
  return [execution];
}

function runningOfIncident(history: SqliteHistory, log: SqliteAuditLog, incidentId: string): ExecutionState[] | string {
  const executions = history.list({ incidentId });
  if (executions.length === 0) {
    return log.entriesNow(incidentId).length === 0 ? `no incident ${incidentId} in this database (irflow incidents lists them)` : `nothing running for ${incidentId}: it has no executions in this database`;
  }
  const running = executions.filter((e) => e.status === "RUNNING");
  if (running.length === 0) return `nothing running for ${incidentId}: its ${plural(executions.length, "execution")} have stopped (irflow executions --incident ${incidentId})`;
  return running;
}

/**
 * What abort is to stop: an execution ARN (what starts with arn: is read as one and refused as one)
 * or an incident id; anything else is refused naming both forms, since either is accepted.
 */
function targetArgument(text: string): { arn: string; incident?: undefined } | { arn?: undefined; incident: string } {
  if (text.startsWith("arn:")) {
    const parsed = ExecutionArn.safeParse(text);
    if (!parsed.success) throw new UsageError(`${text}: ${parsed.error.issues[0]?.message ?? "is not an execution ARN"}`);
    return { arn: parsed.data };
  }
  const parsed = IncidentId.safeParse(text);
  if (!parsed.success) throw new UsageError(`${text}: must be an irflow incident id (${INCIDENT_ID_FORM}) or a Step Functions execution ARN (arn:aws:states:<region>:<account>:execution:<machine>:<name>)`);
  return { incident: parsed.data };
}

function timeoutOf(text: string): number {
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3600) throw new UsageError(`--timeout ${text}: must be a number of seconds, more than 0 and at most 3600`);
  return seconds * 1000;
}

const write = (line: string) => process.stdout.write(`${line}\n`);
const writeStates = (states: readonly ExecutionState[]) => {
  for (const e of states) write(`  ${(e.status === "ABORTED" ? paint.green : paint.yellow)(e.status.padEnd(9))} ${f(e.executionArn)}`);
};
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

function problem(message: string): number {
  process.stderr.write(`${paint.red("error:")} ${f(message)}\n`);
  return EXIT.problems;
}
