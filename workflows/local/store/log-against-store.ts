import type { AuditEntry } from "../../../functions/audit/audit-entry.js";
import { KIND } from "../../../functions/audit/audit-kinds.js";
import type { ChainProblem } from "../../../functions/audit/verify-chain.js";
import type { EmbeddedDatabase } from "./embedded-database.js";

interface StoredIncidentRow {
  readonly incident_id: string;
  readonly status: "open" | "closed";
  readonly opened_at: string;
  readonly closed_at: string | null;
}

/** The incidents the store holds, by id. */
export function storedIncidents(database: EmbeddedDatabase): Map<string, StoredIncidentRow> {
  const rows = database.db.prepare<[], StoredIncidentRow>("SELECT incident_id, status, opened_at, closed_at FROM incidents ORDER BY opened_at, incident_id").all();
  return new Map(rows.map((row) => [row.incident_id, row]));
}

/**
 * What the incident store says of an incident that its audit log must then hold. A hash chain
 * proves what it holds, not that nothing was cut from its end or that the whole log is still
 * there; locally nothing like S3 Object Lock keeps those, so the incident store, written after the
 * log, stands witness: an incident it closed has its `incident.closed` in the log (the close is
 * appended first), and an incident it holds has a log. A store edited along with the log is not
 * caught: locally, anyone who may write the file may rewrite both (the README says so).
 *
 * Where the log falls short of what the store records of the incident; none when the store does
 * not hold it.
 */
export function logAgainstStore(stored: StoredIncidentRow | undefined, entries: readonly AuditEntry[]): ChainProblem[] {
  if (stored === undefined) return [];
  if (entries.length === 0) {
    return [
      {
        seq: 1,
        kind: "removed",
        message: `the incident store holds this incident (opened ${stored.opened_at}${stored.closed_at ? `, closed ${stored.closed_at}` : ""}), but its audit log has no entry: the log was deleted, or its run stopped before it wrote the first one`,
      },
    ];
  }
  if (stored.status === "closed" && !entries.some((entry) => entry.kind === KIND.incidentClosed)) {
    const next = Math.max(...entries.map((entry) => entry.seq)) + 1;
    return [{ seq: next, kind: "removed", message: `the incident store records this incident closed at ${stored.closed_at ?? "?"}, but the log has no ${KIND.incidentClosed} entry: entries from ${next} on were removed` }];
  }
  return [];
}
