import type { Command } from "commander";
import type { AuditEntry } from "../../functions/audit/audit-entry.js";
import { projectRecord } from "../../functions/audit/incident-record.js";
import type { HistoryEvent } from "../../workflows/local/history.js";
import { SqliteHistory } from "../../workflows/local/store/sqlite-history.js";
import { examples } from "../help-examples.js";
import { EXIT, paint } from "../output.js";
import { terminalField, terminalJson } from "../terminal-text.js";
import { logStanding, withIncidentEntries } from "./audit-store.js";
import { storeOptions, type StoreOptions } from "./store-options.js";
import { orderTimeline, type TimelineEntry, type TimelineEvent } from "./timeline-order.js";

interface HistoryOptions extends StoreOptions {
  json?: boolean;
  allEvents?: boolean;
}

export interface HistoryLine {
  readonly at: string;
  readonly phase: string;
  readonly what: string;
  /** A human identity, `function:<task>` or `system:<part>`. */
  readonly actor: string;
  readonly source: "audit" | "execution";
  readonly seq?: number;
}

/** The execution events worth a line by default; --all-events shows every one. */
const NOTABLE = new Set<HistoryEvent["type"]>(["ExecutionStarted", "ExecutionSucceeded", "ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut", "TaskStateEntered", "TaskFailed", "TaskTimedOut", "MapStateStarted", "ChoiceStateEntered"]);
const PHASES = ["post-incident", "detect", "contain", "eradicate", "recover", "incident"];

export function registerHistory(program: Command): void {
  program
    .command("history")
    .description("one timeline of an incident across all phases: its audit log and the stored execution history, with who did what")
    .argument("<incident>", "incident id (inc-…)")
    .option("--all-events", "every execution history event, not only executions, task states and failures")
    .option("--json", "machine-readable output")
    .addOption(storeOptions.dir())
    .addOption(storeOptions.db())
    .addHelpText(
      "after",
      `${examples("irflow history inc-20261124-0a1b2c3d4e5f", "irflow history inc-20261124-0a1b2c3d4e5f --all-events --json", "irflow history inc-20261124-0a1b2c3d4e5f --db /tmp/drill/irflow.db")}

Exit codes: 0 shown, 1 no such incident, or its audit log fails verification (the timeline is
still shown, after a warning), 2 usage error.`,
    )
    .action((incident: string, options: HistoryOptions) =>
      withIncidentEntries(options, incident, (entries, id, database) => {
        // Shown all the same (an investigator needs it), but never passed off as an intact record.
        const { warning } = logStanding(database, id, entries, "this timeline");
        if (warning !== undefined) {
          process.stderr.write(`${paint.red("warning:")} ${terminalField(warning)}\n`);
          process.exitCode = EXIT.problems;
        }
        const lines = timeline(id, entries, new SqliteHistory(database), options.allEvents === true);
        if (options.json) process.stdout.write(`${terminalJson(lines)}\n`);
        else printTimeline(lines);
      }),
    );
}

/**
 * The audit log's timeline and the executions' history events, merged by time; within one
 * millisecond an entry goes where its task wrote it (timeline-order.ts), so a state's events come
 * before what its task recorded, and that before the state's end.
 */
export function timeline(incidentId: string, entries: readonly AuditEntry[], history: SqliteHistory, allEvents: boolean): HistoryLine[] {
  const record = projectRecord(incidentId, entries);
  const bySeq = new Map(entries.map((entry) => [entry.seq, entry]));
  const audit = record.timeline.map((t) => ({
    line: { at: t.at, phase: t.phase ?? "", what: t.what, actor: t.actor, source: "audit", seq: t.seq } satisfies HistoryLine,
    order: { ...entryPlace(bySeq.get(t.seq)), at: t.at, seq: t.seq, kind: t.kind },
  }));
  const arns = new Set([...history.list({ incidentId }).map((e) => e.executionArn), ...record.executions.map((e) => e.executionArn), ...(record.opened?.executionArn ? [record.opened.executionArn] : [])]);
  const executions = [...arns].flatMap((arn) => {
    const machine = arn.split(":").at(-2) ?? "";
    const phase = PHASES.find((p) => machine.endsWith(`-${p}`)) ?? "";
    return history.events(arn).map((event) => ({
      line: { at: event.timestamp, phase, what: describe(event, machine), actor: "system:step-functions", source: "execution" } satisfies HistoryLine,
      order: { ...eventPlace(event), at: event.timestamp, executionArn: arn, type: event.type },
      shown: allEvents || NOTABLE.has(event.type),
    }));
  });
  return orderTimeline(
    executions.map((e) => e.order),
    audit.map((a) => a.order),
  ).flatMap((item): HistoryLine[] => {
    if ("entry" in item) return [audit[item.entry]!.line];
    const execution = executions[item.event]!;
    return execution.shown ? [execution.line] : [];
  });
}

const text = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);
const field = (value: unknown, key: string): unknown => (typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined);

/** What an entry's body says about where it was written: its step, execution, mode and the task that wrote it. */
function entryPlace(entry: AuditEntry | undefined): Omit<TimelineEntry, "at" | "seq" | "kind"> {
  if (entry === undefined) return {};
  const record = field(entry.body, "record");
  const stepId = text(entry.body.stepId);
  const executionArn = text(entry.body.executionArn) ?? text(field(record, "executionId")) ?? text(entry.body.executionId);
  const mode = text(field(record, "mode"));
  const task = entry.actor.startsWith("function:") ? entry.actor.slice("function:".length) : undefined;
  return { ...(stepId !== undefined ? { stepId } : {}), ...(executionArn !== undefined ? { executionArn } : {}), ...(mode !== undefined ? { mode } : {}), ...(task !== undefined ? { task } : {}) };
}

/** A TaskScheduled's task (`\${Task:<name>}`), step and mode, from the parameters the state passed. */
function eventPlace(event: HistoryEvent): Pick<TimelineEvent, "task" | "stepId" | "mode"> {
  if (event.type !== "TaskScheduled") return {};
  const parameters = field(event.details, "parameters");
  const payload = field(parameters, "Payload");
  const task = /^\$\{Task:(.+)\}$/.exec(text(field(parameters, "FunctionName")) ?? "")?.[1];
  const stepId = text(field(field(payload, "context"), "stepId"));
  const mode = text(field(payload, "mode"));
  return { ...(task !== undefined ? { task } : {}), ...(stepId !== undefined ? { stepId } : {}), ...(mode !== undefined ? { mode } : {}) };
}

function describe(event: HistoryEvent, machine: string): string {
  const details = event.details as { name?: unknown; error?: unknown; cause?: unknown };
  const name = typeof details.name === "string" ? ` ${details.name}` : "";
  const error = typeof details.error === "string" ? `: ${details.error}` : "";
  if (event.type.startsWith("Execution")) return `${machine} ${event.type.slice("Execution".length).toLowerCase()}${error}`;
  return `${event.type}${name}${error}`;
}

function printTimeline(recorded: readonly HistoryLine[]): void {
  const lines = recorded.map((l) => ({ ...l, at: terminalField(l.at), phase: terminalField(l.phase), actor: terminalField(l.actor), what: terminalField(l.what) }));
  const phaseWidth = Math.max(5, ...lines.map((l) => l.phase.length));
  const actorWidth = Math.min(36, Math.max(5, ...lines.map((l) => l.actor.length)));
  process.stdout.write(`${paint.dim(`${"time".padEnd(24)}  ${"phase".padEnd(phaseWidth)}  ${"actor".padEnd(actorWidth)}  what`)}\n`);
  for (const l of lines) {
    const actor = l.actor.startsWith("function:") || l.actor.startsWith("system:") ? paint.dim(l.actor.padEnd(actorWidth)) : paint.bold(l.actor.padEnd(actorWidth));
    const what = l.source === "execution" ? paint.dim(l.what) : l.what;
    process.stdout.write(`${l.at.padEnd(24)}  ${l.phase.padEnd(phaseWidth)}  ${actor}  ${what}\n`);
  }
}
