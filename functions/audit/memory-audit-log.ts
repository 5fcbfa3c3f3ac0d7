import { chainEntry, type AuditEntry } from "./audit-entry.js";
import type { LocalAuditLog } from "./audit-log.js";
import type { AuditEntryInput } from "./audit-port.js";

/** The chained log in process memory (unit tests, single-process runs without a database). */
export class MemoryAuditLog implements LocalAuditLog {
  private readonly logs = new Map<string, AuditEntry[]>();

  append(incidentId: string, entry: AuditEntryInput): Promise<void> {
    try {
      const log = this.logs.get(incidentId) ?? [];
      log.push(chainEntry(incidentId, log.at(-1), entry));
      this.logs.set(incidentId, log);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  entries(incidentId: string): Promise<readonly AuditEntry[]> {
    return Promise.resolve(this.entriesNow(incidentId));
  }

  entriesNow(incidentId: string): readonly AuditEntry[] {
    return structuredClone(this.logs.get(incidentId) ?? []);
  }

  incidentIds(): readonly string[] {
    return [...this.logs.keys()];
  }
}
