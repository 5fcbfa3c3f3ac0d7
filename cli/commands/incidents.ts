import { userInfo } from "node:os";
import { join } from "node:path";
import { Option, type Command } from "commander";
import type { ClosedStatus } from "../../functions/audit/audit-kinds.js";
import { projectRecord } from "../../functions/audit/incident-record.js";
import { closeAbandoned } from "../../workflows/local/incident/close-abandoned.js";
import { describeRunner } from "../../workflows/local/runner-liveness.js";
import { EXIT, paint } from "../output.js";
import { terminalField, terminalJson } from "../terminal-text.js";
import { incidentArgument, openAuditStore } from "./audit-store.js";
import { UsageError } from "../usage-error.js";
import { resolveRunbookFiles } from "./lint.js";
import { runbookFilesById } from "./runbook-ids.js";
import { identityFor, stateFolder, storeOptions, type StoreOptions } from "./store-options.js";

interface IncidentsOptions extends StoreOptions {
  since?: string;
  runbook?: string;
  status?: "open" | "closed";
  json?: boolean;
}

export interface IncidentRow {
  readonly incidentId: string;
  readonly runbook: string;
  readonly openedAt: string;
  readonly status: "open" | "closed";
  readonly outcome: ClosedStatus | "open";
  readonly closedAt?: string;
  readonly entries: number;
}

interface CloseOptions extends StoreOptions {
  reason: string;
  as?: string;
  force?: boolean;
}

const UNIT_MS: Readonly<Record<string, number>> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `24h`, `7d`, `30m`, `2w` (before `now`) or a date; a clear usage error otherwise. */
export function parseSince(text: string, now: Date): Date {
  const duration = /^(\d+)([mhdw])$/.exec(text.trim());
  if (duration) return new Date(now.getTime() - Number(duration[1]) * UNIT_MS[duration[2]!]!);
  const date = Date.parse(text);
  if (Number.isNaN(date)) throw new UsageError(`--since ${text}: give a duration (30m, 24h, 7d, 2w) or a date (2026-11-24, 2026-11-24T12:00:00Z)`);
  return new Date(date);
}

export function registerIncidents(program: Command): void {
  const incidents = program
    .command("incidents")
    .description("list the incidents in the embedded database's audit log, oldest first")
    .option("--since <when>", "opened within a duration (30m, 24h, 7d, 2w) or since a date")
    .option("--runbook <id>", "only this runbook's incidents")
    .addOption(new Option("--status <status>", "only open or only closed incidents").choices(["open", "closed"]))
    .option("--json", "machine-readable output")
    .addOption(storeOptions.dir())
    .addOption(storeOptions.db())
    .action((options: IncidentsOptions) => {
      const since = options.since !== undefined ? parseSince(options.since, new Date()) : undefined;
      const { database, log } = openAuditStore(options, "read");
      try {
        const all = log
          .incidentIds()
          .map((id): IncidentRow => {
            const record = projectRecord(id, log.entriesNow(id));
            // When detect opened it (the incident document's openedAt, as the report says it), not when its entry was appended a moment later.
            const opened = record.opened?.document.openedAt;
            return {
              incidentId: id,
              runbook: record.opened?.runbook.id ?? "unknown",
              openedAt: typeof opened === "string" ? opened : (record.opened?.at ?? record.timeline[0]?.at ?? ""),
              status: record.closed ? "closed" : "open",
              outcome: record.closed?.status ?? "open",
              ...(record.closed ? { closedAt: record.closed.at } : {}),
              entries: record.entries,
            };
          });
        if (options.runbook !== undefined) knownRunbook(options.runbook, all);
        const rows = all.filter((row) => (!since || Date.parse(row.openedAt) >= since.getTime()) && (!options.runbook || row.runbook === options.runbook) && (!options.status || row.status === options.status));
        if (options.json) {
          process.stdout.write(`${terminalJson(rows)}\n`);
          return;
        }
        if (rows.length === 0) {
          process.stdout.write(`${paint.dim("no incidents")}\n`);
          return;
        }
        const runbookWidth = Math.max(7, ...rows.map((r) => terminalField(r.runbook).length));
        process.stdout.write(`${paint.dim(`${"incident".padEnd(28)}  ${"runbook".padEnd(runbookWidth)}  ${"opened".padEnd(24)}  ${"status".padEnd(8)}  outcome`)}\n`);
        for (const row of rows) {
          const r = { ...row, incidentId: terminalField(row.incidentId), runbook: terminalField(row.runbook), openedAt: terminalField(row.openedAt) };
          const outcome = r.outcome === "resolved" ? paint.green(r.outcome) : r.outcome === "open" ? paint.yellow(r.outcome) : paint.red(r.outcome);
          process.stdout.write(`${r.incidentId.padEnd(28)}  ${r.runbook.padEnd(runbookWidth)}  ${r.openedAt.padEnd(24)}  ${r.status.padEnd(8)}  ${outcome}\n`);
        }
      } finally {
        database.close();
      }
    });
  incidents
    .command("close")
    .description("close an incident a process left open when it died (SIGKILL, a crash): executions still RUNNING end ABORTED, its pending approvals are withdrawn, and it is closed as aborted, with its report")
    .argument("<incident>", "incident id (inc-…)")
    .requiredOption("--reason <text>", "why (the audit log, the report)")
    .option("--as <name>", "who closes it", userInfo().username)
    .option("--force", "close it although executions of it are RUNNING in the store and irflow cannot tell that their process is gone (you know it is)")
    // Listed here for --help; commander gives --dir/--db to `incidents` wherever they are written,
    // and optsWithGlobals lets the parent's values win.
    .addOption(storeOptions.dir())
    .addOption(storeOptions.db())
    .addHelpText(
      "after",
      `
A run that is stopped (irflow abort, Ctrl-C, SIGTERM, SIGHUP) or fails closes its incident itself;
this is for one whose process was killed before it could. Each process that runs incidents keeps a
liveness record in the store (pid, host, heartbeat): when every execution still RUNNING belongs to a
process that is gone, the command closes the incident; while the process is alive it refuses (stop
the run with irflow abort <incident> --reason <why> instead), and for executions recorded by an older
irflow, which name no process, it refuses unless --force.
--dir/--db name the store (default <project>/.irflow); the report is written to its reports/ folder.
Exit codes: 0 closed; 1 unknown incident, already closed, or executions RUNNING in a live (or unknown) process without --force;
2 usage error.`,
    )
    .action(async (incident: string, _options: CloseOptions, command: Command) => {
      process.exitCode = await closeIncident(incident, command.optsWithGlobals<CloseOptions>());
    });
}

/**
 * A --runbook filter names a runbook of runbooks/ or one the store holds incidents of (its file may
 * since be gone); any other is a mistyped id, refused rather than answered with "no incidents".
 */
function knownRunbook(runbook: string, rows: readonly IncidentRow[]): void {
  if (rows.some((row) => row.runbook === runbook) || runbookFilesById(resolveRunbookFiles([])).has(runbook)) return;
  throw new UsageError(`--runbook ${runbook}: no runbook "${runbook}" in runbooks/ nor among this store's incidents; \`irflow runbooks\` lists them`);
}

/** `irflow incidents close`: closes what a dead process left open; says what it ended and where the report is. */
async function closeIncident(incident: string, options: CloseOptions): Promise<number> {
  const incidentId = incidentArgument(incident);
  const reason = options.reason.trim();
  if (reason === "") throw new UsageError("--reason must say why the incident is closed");
  const by = (await identityFor(options)).actor;
  const { database } = openAuditStore(options);
  try {
    const result = await closeAbandoned(database, { incidentId, by, reason, force: options.force === true, reportsDirectory: join(stateFolder(options), "reports"), now: new Date() });
    if (!result.closed) {
      for (const execution of result.running ?? []) process.stderr.write(`  ${terminalField(execution.machine ?? execution.name)}  RUNNING since ${terminalField(execution.startedAt)}  ${terminalField(execution.executionArn)}\n`);
      process.stderr.write(`${paint.red("error:")} ${terminalField(result.message)}\n`);
      return EXIT.problems;
    }
    for (const runner of result.goneRunners ?? []) process.stdout.write(`  ${paint.dim(`its run is gone (${terminalField(describeRunner(runner))})`)}\n`);
    for (const execution of result.aborted) process.stdout.write(`  ${terminalField(execution.machine ?? execution.name)}  ${paint.yellow("ABORTED")}  ${terminalField(execution.executionArn)}\n`);
    process.stdout.write(`${paint.yellow("closed")}  ${terminalField(incidentId)} as aborted by ${terminalField(by)}: ${terminalField(reason)}\n`);
    process.stdout.write(`  report: ${terminalField(result.reportLocation)}\n`);
    return EXIT.ok;
  } finally {
    database.close();
  }
}
