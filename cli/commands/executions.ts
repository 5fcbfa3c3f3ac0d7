import { Option, type Command } from "commander";
import { projectRecord } from "../../functions/audit/incident-record.js";
import type { ExecutionStatus } from "../../workflows/local/outcome.js";
import { runningExecutionsLiveness, type RunLiveness } from "../../workflows/local/incident/run-liveness.js";
import { SqliteAuditLog } from "../../workflows/local/store/sqlite-audit-log.js";
import { SqliteHistory, type ExecutionSummary } from "../../workflows/local/store/sqlite-history.js";
import { EXIT, paint } from "../output.js";
import { terminalField, terminalJson } from "../terminal-text.js";
import { openExistingStore } from "../existing-store.js";
import { examples } from "../help-examples.js";
import { disputeEnding, incidentArgument, logStanding } from "./audit-store.js";
import { storeOptions, type StoreOptions } from "./store-options.js";

interface ExecutionsOptions extends StoreOptions {
  incident?: string;
  status?: string;
  json?: boolean;
}

const STATUSES: Readonly<Record<string, ExecutionStatus>> = { running: "RUNNING", succeeded: "SUCCEEDED", failed: "FAILED", aborted: "ABORTED", "timed-out": "TIMED_OUT" };

export function registerExecutions(program: Command): void {
  program
    .command("executions")
    .description("list the local state machine executions (incident machines and their phases) from the embedded store, oldest first")
    .option("--incident <id>", "only the executions of this incident (inc-…)")
    .addOption(new Option("--status <status>", "only executions with this status").choices(Object.keys(STATUSES)))
    .option("--json", "machine-readable output")
    .addOption(storeOptions.dir())
    .addOption(storeOptions.db())
    .addHelpText(
      "after",
      `${examples("irflow executions --status running", "irflow executions --incident inc-20261124-0a1b2c3d4e5f --json", "irflow executions --db /tmp/drill/irflow.db")}

An ended execution whose status differs from the end its incident's audit log recorded is marked
(the log says …) and warned about: the store was changed after the run.

Exit codes: 0 listed, 1 a status differs from the log, 2 usage error.`,
    )
    .action((options: ExecutionsOptions) => {
      const { executions, gone, disputed, unverified } = listExecutions(options);
      // A row the incident's audit log contradicts was changed in the store: shown, never passed off as the record.
      if (disputed.size > 0) {
        // Named by the first incident whose log fails verification, if any: then neither is the record.
        const incidentId = [...unverified][0] ?? executions.find((e) => disputed.has(e.executionArn))?.incidentId ?? "<incident>";
        process.stderr.write(`${paint.red("warning:")} ${disputed.size === 1 ? "1 execution's status differs" : `${disputed.size} executions' statuses differ`} from what its incident's audit log recorded${terminalField(disputeEnding(!unverified.has(incidentId), incidentId, "the run"))}\n`);
        process.exitCode = EXIT.problems;
      }
      if (options.json) {
        process.stdout.write(`${terminalJson(executions.map((e) => ({ ...e, durationMs: durationMs(e), ...(gone.has(e.executionArn) ? { runAlive: false } : {}), ...(disputed.has(e.executionArn) ? { loggedStatus: disputed.get(e.executionArn) } : {}) })))}\n`);
        return;
      }
      if (executions.length === 0) {
        process.stdout.write(`${paint.dim("no executions")}\n`);
        return;
      }
      for (const line of formatTable(executions, new Date(), gone, disputed)) process.stdout.write(`${line}\n`);
    });
}

/**
 * The executions asked for, those RUNNING whose process is gone (nothing will move them on), the
 * ended ones whose status differs from the end their incident's log recorded (its phase's end, or
 * its history digest), with the logged status, and the incidents of those whose log fails verification.
 */
function listExecutions(options: ExecutionsOptions): { executions: ExecutionSummary[]; gone: ReadonlySet<string>; disputed: ReadonlyMap<string, string>; unverified: ReadonlySet<string> } {
  if (options.incident !== undefined) incidentArgument(options.incident, "--incident");
  const database = openExistingStore(options, "read");
  try {
    const filter = options.incident !== undefined ? { incidentId: options.incident } : {};
    const executions = new SqliteHistory(database).list({ ...filter, ...(options.status !== undefined ? { status: STATUSES[options.status]! } : {}) });
    const liveness = executions.some((e) => e.status === "RUNNING") ? runningExecutionsLiveness(database, filter) : new Map<string, RunLiveness>();
    const gone = new Set([...liveness].filter(([, run]) => run.liveness === "gone").map(([arn]) => arn));
    const log = new SqliteAuditLog(database);
    const disputed = new Map<string, string>();
    const unverified = new Set<string>();
    const ended = new Map<string, ExecutionSummary[]>();
    for (const e of executions) {
      if (e.incidentId === undefined || e.status === "RUNNING") continue;
      const rows = ended.get(e.incidentId);
      if (rows) rows.push(e);
      else ended.set(e.incidentId, [e]);
    }
    for (const [incidentId, rows] of ended) {
      // The record's reading of the log: each phase's end, and each history digest's status.
      const entries = log.entriesNow(incidentId);
      const record = projectRecord(incidentId, entries);
      const logged = new Map<string, string>();
      for (const { executionArn, status } of [...record.executions, ...record.archives]) if (status !== undefined) logged.set(executionArn, status);
      const differing = rows.filter((e) => logged.has(e.executionArn) && logged.get(e.executionArn) !== e.status);
      for (const e of differing) disputed.set(e.executionArn, logged.get(e.executionArn)!);
      // A log that contradicts a row is the record only if it verifies (asked only then: verifying every log would slow the listing).
      if (differing.length > 0 && !logStanding(database, incidentId, entries).verified) unverified.add(incidentId);
    }
    return { executions, gone, disputed, unverified };
  } finally {
    database.close();
  }
}

function durationMs(execution: ExecutionSummary, now?: Date): number | undefined {
  const stop = execution.stoppedAt !== undefined ? Date.parse(execution.stoppedAt) : now?.getTime();
  return stop === undefined ? undefined : stop - Date.parse(execution.startedAt);
}

/** A human duration: 850 ms, 4.2 s, 3 min 5 s, 2 h 4 min. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min ${Math.floor((ms % 60_000) / 1000)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

const STATUS_COLOUR: Readonly<Record<ExecutionStatus, (text: string) => string>> = {
  RUNNING: paint.yellow,
  SUCCEEDED: paint.green,
  FAILED: paint.red,
  ABORTED: paint.red,
  TIMED_OUT: paint.red,
};

/** One header and one line per execution, columns padded before colouring. */
export function formatTable(executions: readonly ExecutionSummary[], now: Date, gone: ReadonlySet<string> = new Set(), disputed: ReadonlyMap<string, string> = new Map()): string[] {
  const rows = executions.map((e) => {
    const duration = durationMs(e, now);
    const status = gone.has(e.executionArn) ? `${e.status} (run not alive)` : disputed.has(e.executionArn) ? `${e.status} (the log says ${disputed.get(e.executionArn)!})` : e.status;
    return {
      status: e.status,
      cells: [e.name, e.machine ?? "?", status, e.startedAt, e.stoppedAt ?? "-", duration === undefined ? "-" : `${formatDuration(duration)}${e.stoppedAt === undefined ? " so far" : ""}`, e.incidentId ?? "-"].map(terminalField),
    };
  });
  const header = ["NAME", "MACHINE", "STATUS", "STARTED", "STOPPED", "DURATION", "INCIDENT"];
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((r) => r.cells[i]!.length)));
  const line = (cells: readonly string[], colour?: (text: string) => string) =>
    cells
      .map((cell, i) => {
        const padded = cell.padEnd(widths[i]!);
        return i === 2 && colour ? colour(padded) : padded;
      })
      .join("  ")
      .trimEnd();
  return [paint.bold(line(header)), ...rows.map((r) => line(r.cells, STATUS_COLOUR[r.status]))];
}
