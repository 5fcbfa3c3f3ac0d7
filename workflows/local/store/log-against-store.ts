import type { AuditEntry } from "../../../functions/audit/audit-entry.js";
import { KIND } from "../../../functions/audit/audit-kinds.js";
import type { ChainProblem } from "../../../functions/audit/verify-chain.js";
import type { EmbeddedDatabase } from "./embedded-database.js";

/** What the incident store and the executions table record of one incident. */
export interface StoreWitness {
  readonly incident?: { readonly status: "open" | "closed"; readonly opened_at: string; readonly closed_at: string | null };
  /** The incident's executions that have ended, by ARN. */
  readonly endedExecutions: readonly string[];
}

/** Every incident id the incident store holds (a log deleted whole is one it still holds). */
export function storedIncidentIds(database: EmbeddedDatabase): string[] {
  return database.db.prepare<[], { incident_id: string }>("SELECT incident_id FROM incidents ORDER BY opened_at, incident_id").all().map((row) => row.incident_id);
}

export function storeWitness(database: EmbeddedDatabase, incidentId: string): StoreWitness {
  const incident = database.db.prepare<[string], NonNullable<StoreWitness["incident"]>>("SELECT status, opened_at, closed_at FROM incidents WHERE incident_id = ?").get(incidentId);
  const ended = database.db.prepare<[string], { execution_arn: string }>("SELECT execution_arn FROM executions WHERE incident_id = ? AND status <> 'RUNNING' ORDER BY first_event_at").all(incidentId);
  return { ...(incident ? { incident } : {}), endedExecutions: ended.map((row) => row.execution_arn) };
}

/**
 * Where an incident's log falls short of what the store records. A hash chain proves what it
 * holds, not that nothing was cut from its end or that the whole log is still there; locally
 * nothing like S3 Object Lock keeps those, so the store, written after the log, stands witness:
 * an incident it holds has a log, one it closed has its `incident.closed` (appended before the
 * store's close), and, in a log that records history digests at all, each execution it saw end has
 * its `execution.archived` (the last of them come after the close). A store edited along with
 * the log is not caught: locally, anyone who may write the file may rewrite both (the README says so).
 */
export function logAgainstStore(witness: StoreWitness, entries: readonly AuditEntry[]): ChainProblem[] {
  const { incident } = witness;
  if (incident && entries.length === 0) {
    return [
      {
        seq: 1,
        kind: "removed",
        message: `the incident store holds this incident (opened ${incident.opened_at}${incident.closed_at ? `, closed ${incident.closed_at}` : ""}), but its audit log has no entry: the log was deleted, or its run stopped before it wrote the first one`,
      },
    ];
  }
  if (entries.length === 0) return [];
  const next = Math.max(...entries.map((entry) => entry.seq)) + 1;
  const problems: ChainProblem[] = [];
  if (incident?.status === "closed" && !entries.some((entry) => entry.kind === KIND.incidentClosed)) {
    problems.push({ seq: next, kind: "removed", message: `the incident store records this incident closed at ${incident.closed_at ?? "?"}, but the log has no ${KIND.incidentClosed} entry: entries from ${next} on were removed` });
  }
  const archived = archivedExecutions(entries);
  const unarchived = archived.size === 0 ? [] : witness.endedExecutions.filter((arn) => !archived.has(arn));
  if (unarchived.length > 0) {
    problems.push({
      seq: next,
      kind: "removed",
      message: `the store holds ${unarchived.length === 1 ? "an ended execution" : `${unarchived.length} ended executions`} of this incident whose history digest the log does not record (${unarchived.join(", ")}): entries were removed from its end, or the run stopped before it recorded them`,
    });
  }
  return problems;
}

/** The executions whose history digest the log records (`execution.archived`). */
export function archivedExecutions(entries: readonly AuditEntry[]): Set<string> {
  return new Set(entries.flatMap((entry) => (entry.kind === KIND.executionArchived && typeof entry.body.executionArn === "string" ? [entry.body.executionArn] : [])));
}

/** `logAgainstStore` for one incident, read from the store. */
export function logProblemsAgainstStore(database: EmbeddedDatabase, incidentId: string, entries: readonly AuditEntry[]): ChainProblem[] {
  return logAgainstStore(storeWitness(database, incidentId), entries);
}
