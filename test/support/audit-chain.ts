import { chainEntry, type AuditEntry } from "../../functions/audit/audit-entry.js";
import type { AuditEntryInput } from "../../functions/audit/audit-port.js";

/** An incident's log as a writer would seal it, entry by entry, in memory and at once. */
export function chainOf(incidentId: string, inputs: readonly AuditEntryInput[]): AuditEntry[] {
  const entries: AuditEntry[] = [];
  for (const input of inputs) entries.push(chainEntry(incidentId, entries.at(-1), input));
  return entries;
}
