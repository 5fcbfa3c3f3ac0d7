import type { AuditEntry } from "../../../functions/audit/audit-entry.js";
import { KIND } from "../../../functions/audit/audit-kinds.js";
import type { ChainProblem } from "../../../functions/audit/verify-chain.js";
import { describeRunner, HEARTBEAT_INTERVAL_MS, isMissingRunner, MISSED_BEATS, runnerLiveness, type RunnerRecord, type Vantage } from "../runner-liveness.js";
import type { EmbeddedDatabase } from "./embedded-database.js";
import { SqliteRunners } from "./sqlite-runners.js";

/** What the incident store and the executions table record of one incident. */
export interface StoreWitness {
  readonly incident?: { readonly status: "open" | "closed"; readonly opened_at: string; readonly closed_at: string | null };
  /** The incident's executions that have ended, by ARN. */
  readonly endedExecutions: readonly string[];
  /**
   * Of the executions the log falls short for (or, with no log yet, those that opened the
   * incident), the ones whose process is alive, with it: what they have not logged yet they are
   * still writing (the store is written first when an incident opens, and an execution's digest a
   * moment after its end), so it is not missing. Empty when nothing was asked.
   */
  readonly live?: ReadonlyMap<string, RunnerRecord>;
}

/** How an incident's log stands against the store: what was removed, and what a live run has yet to write. */
export interface StoreCheck {
  readonly problems: ChainProblem[];
  /** Set when a run still writing explains a shortfall: what it has yet to log, and which process. */
  readonly inFlight?: string;
}

/** Every incident id the incident store holds (a log deleted whole is one it still holds). */
export function storedIncidentIds(database: EmbeddedDatabase): string[] {
  return database.db.prepare<[], { incident_id: string }>("SELECT incident_id FROM incidents ORDER BY opened_at, incident_id").all().map((row) => row.incident_id);
}

/** The incident's executions that have ended, by ARN, in the order they started. */
export function endedExecutions(database: EmbeddedDatabase, incidentId: string): string[] {
  return database.db
    .prepare<[string], { execution_arn: string }>("SELECT execution_arn FROM executions WHERE incident_id = ? AND status <> 'RUNNING' ORDER BY first_event_at")
    .all(incidentId)
    .map((row) => row.execution_arn);
}

function storeWitness(database: EmbeddedDatabase, incidentId: string): StoreWitness {
  const incident = database.db.prepare<[string], NonNullable<StoreWitness["incident"]>>("SELECT status, opened_at, closed_at FROM incidents WHERE incident_id = ?").get(incidentId);
  return { ...(incident ? { incident } : {}), endedExecutions: endedExecutions(database, incidentId) };
}

/** The executions whose events made the incident: each occurrence's (the first one opened it). */
function occurrenceExecutions(database: EmbeddedDatabase, incidentId: string): string[] {
  return database.db
    .prepare<[string], { execution_id: string }>("SELECT execution_id FROM occurrences WHERE incident_id = ? ORDER BY rowid")
    .all(incidentId)
    .map((row) => row.execution_id);
}

/** Of these executions, the ones whose runner is alive as seen from `at`, with it. */
function liveRunners(database: EmbeddedDatabase, executionArns: readonly string[], at: Vantage): Map<string, RunnerRecord> {
  const runners = new SqliteRunners(database);
  const live = new Map<string, RunnerRecord>();
  for (const arn of new Set(executionArns)) {
    const runner = runners.execution(arn)?.runner;
    if (runner !== undefined && !isMissingRunner(runner) && runnerLiveness(runner, at) === "alive") live.set(arn, runner);
  }
  return live;
}

/**
 * Where an incident's log falls short of what the store records. A hash chain proves what it
 * holds, not that nothing was cut from its end or that the whole log is still there; locally
 * nothing like S3 Object Lock keeps those, so the store, written after the log, stands witness:
 * an incident it holds has a log, one it closed has its `incident.closed` (appended before the
 * store's close), and, in a log that records history digests (its opening says so, or it holds
 * one), each execution it saw end has its `execution.archived` (the last come after the close). Two of these are written a
 * moment after the store (the first entry after the incident's row, a digest after its
 * execution's end): just after that write, while the run that owes them is alive, they are in
 * flight, not removed (`checkLogAgainstStore` decides which are). A
 * store edited along with the log is not caught: locally, anyone who may write the file may
 * rewrite both (the README says so).
 */
export function logAgainstStore(witness: StoreWitness, entries: readonly AuditEntry[]): StoreCheck {
  const { incident } = witness;
  const live = witness.live ?? new Map<string, RunnerRecord>();
  if (incident && entries.length === 0) {
    if (live.size > 0) return { problems: [], inFlight: `its run is opening it and has not logged the first entry yet (${processes(live)})` };
    return {
      problems: [
        {
          seq: 1,
          kind: "removed",
          message: `the incident store holds this incident (opened ${incident.opened_at}${incident.closed_at ? `, closed ${incident.closed_at}` : ""}), but its audit log has no entry: the log was deleted, or its run stopped before it wrote the first one`,
        },
      ],
    };
  }
  if (entries.length === 0) return { problems: [] };
  const next = Math.max(...entries.map((entry) => entry.seq)) + 1;
  const problems: ChainProblem[] = [];
  if (incident?.status === "closed" && !entries.some((entry) => entry.kind === KIND.incidentClosed)) {
    problems.push({ seq: next, kind: "removed", message: `the incident store records this incident closed at ${incident.closed_at ?? "?"}, but the log has no ${KIND.incidentClosed} entry: entries from ${next} on were removed` });
  }
  const unarchived = unarchivedExecutions(witness, entries);
  const owed = unarchived.filter((arn) => live.has(arn));
  const missing = unarchived.filter((arn) => !live.has(arn));
  if (missing.length > 0) {
    problems.push({
      seq: next,
      kind: "removed",
      message: `the store holds ${missing.length === 1 ? "an ended execution" : `${missing.length} ended executions`} of this incident whose history digest the log does not record (${missing.join(", ")}): entries were removed from its end, or the run stopped before it recorded them`,
    });
  }
  if (owed.length === 0) return { problems };
  const owedLive = new Map(owed.map((arn) => [arn, live.get(arn)!]));
  return { problems, inFlight: `its run has yet to log the history digest of ${owed.length === 1 ? "an execution" : `${owed.length} executions`} that just ended (${owed.join(", ")}; ${processes(owedLive)})` };
}

/**
 * The ended executions a digest-recording log has no digest for. A log records them when its
 * opening says so, or (older logs) when it holds any; none is asked of a log from before digests.
 */
function unarchivedExecutions(witness: StoreWitness, entries: readonly AuditEntry[]): string[] {
  const recordsDigests = entries.some((entry) => entry.kind === KIND.executionArchived || (entry.kind === KIND.incidentOpened && entry.body.historyDigests === true));
  return recordsDigests ? withoutDigest(witness.endedExecutions, entries) : [];
}

/** Of these executions, those whose history digest the log does not record. */
export function withoutDigest(executionArns: readonly string[], entries: readonly AuditEntry[]): string[] {
  const archived = archivedExecutions(entries);
  return executionArns.filter((arn) => !archived.has(arn));
}

/** The live processes behind these executions, each named once. */
function processes(live: ReadonlyMap<string, RunnerRecord>): string {
  const runners = new Map([...live.values()].map((runner) => [runner.runnerId, runner]));
  return `${[...runners.values()].map(describeRunner).join("; ")}, alive`;
}

/** The executions whose history digest the log records (`execution.archived`). */
function archivedExecutions(entries: readonly AuditEntry[]): Set<string> {
  return new Set(entries.flatMap((entry) => (entry.kind === KIND.executionArchived && typeof entry.body.executionArn === "string" ? [entry.body.executionArn] : [])));
}

/**
 * How long after the store's write a live run may still owe the log its entry: as long as a runner
 * may go without a heartbeat and still count as alive. A run owes the first entry or a digest for
 * milliseconds; one that owes it for longer is not writing it.
 */
const IN_FLIGHT_MS = MISSED_BEATS * HEARTBEAT_INTERVAL_MS;

/**
 * `logAgainstStore` for one incident, read from the store; what the log lacks counts as in flight
 * only when the store wrote it just now (the incident opened, the execution ended, within
 * `IN_FLIGHT_MS` of `at`) and the run that owes it is alive: a log cut while its run waits for
 * hours at an approval is still found cut.
 */
export function checkLogAgainstStore(database: EmbeddedDatabase, incidentId: string, entries: readonly AuditEntry[], at: Vantage): StoreCheck {
  const witness = storeWitness(database, incidentId);
  const recent = (iso: string | null | undefined) => iso !== null && iso !== undefined && at.nowMs - Date.parse(iso) <= IN_FLIGHT_MS;
  const owing =
    entries.length === 0
      ? recent(witness.incident?.opened_at)
        ? occurrenceExecutions(database, incidentId)
        : []
      : unarchivedExecutions(witness, entries).filter((arn) => recent(stoppedAt(database, arn)));
  return logAgainstStore(owing.length === 0 ? witness : { ...witness, live: liveRunners(database, owing, at) }, entries);
}

function stoppedAt(database: EmbeddedDatabase, executionArn: string): string | undefined {
  return database.db.prepare<[string], { stopped_at: string | null }>("SELECT stopped_at FROM executions WHERE execution_arn = ?").get(executionArn)?.stopped_at ?? undefined;
}
