import { Option, type Command } from "commander";
import type { ExecutionStatus } from "../../workflows/local/outcome.js";
import { runningExecutionsLiveness, type RunLiveness } from "../../workflows/local/incident/run-liveness.js";
import { SqliteHistory, type ExecutionSummary } from "../../workflows/local/store/sqlite-history.js";
import { paint } from "../output.js";
import { terminalField, terminalJson } from "../terminal-text.js";
import { openExistingStore } from "../existing-store.js";
import { examples } from "../help-examples.js";
import { incidentArgument } from "./audit-store.js";
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
    .addHelpText("after", examples("irflow executions --status running", "irflow executions --incident inc-20261124-0a1b2c3d4e5f --json", "irflow executions --db /tmp/drill/irflow.db"))
    .action((options: ExecutionsOptions) => {
      const { executions, gone } = listExecutions(options);
      if (options.json) {
        process.stdout.write(`${terminalJson(executions.map((e) => ({ ...e, durationMs: durationMs(e), ...(gone.has(e.executionArn) ? { runAlive: false } : {}) })))}\n`);
        return;
      }
      if (executions.length === 0) {
        process.stdout.write(`${paint.dim("no executions")}\n`);
        return;
      }
      for (const line of formatTable(executions, new Date(), gone)) process.stdout.write(`${line}\n`);
    });
}

/** The executions asked for, and those RUNNING whose process is gone (nothing will move them on). */
function listExecutions(options: ExecutionsOptions): { executions: ExecutionSummary[]; gone: ReadonlySet<string> } {
  if (options.incident !== undefined) incidentArgument(options.incident, "--incident");
  const database = openExistingStore(options, "read");
  try {
    const filter = options.incident !== undefined ? { incidentId: options.incident } : {};
    const executions = new SqliteHistory(database).list({ ...filter, ...(options.status !== undefined ? { status: STATUSES[options.status]! } : {}) });
    const liveness = executions.some((e) => e.status === "RUNNING") ? runningExecutionsLiveness(database, filter) : new Map<string, RunLiveness>();
    const gone = new Set([...liveness].filter(([, run]) => run.liveness === "gone").map(([arn]) => arn));
    return { executions, gone };
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
export function formatTable(executions: readonly ExecutionSummary[], now: Date, gone: ReadonlySet<string> = new Set()): string[] {
  const rows = executions.map((e) => {
    const duration = durationMs(e, now);
    return {
      status: e.status,
      cells: [e.name, e.machine ?? "?", gone.has(e.executionArn) ? `${e.status} (run not alive)` : e.status, e.startedAt, e.stoppedAt ?? "-", duration === undefined ? "-" : `${formatDuration(duration)}${e.stoppedAt === undefined ? " so far" : ""}`, e.incidentId ?? "-"].map(terminalField),
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
