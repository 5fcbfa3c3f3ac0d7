import { sealNext, type AuditEntry } from "./audit-entry.js";
import type { LocalAuditLog } from "./audit-log.js";
import type { AuditEntryInput } from "./audit-port.js";
import { storedEntry } from "./stored-entry.js";

interface Kept {
  readonly fields: Omit<AuditEntry, "body">;
  /** The canonical JSON the hash covers. */
  readonly bodyJson: string;
  /** Deeply frozen (as `sealNext` makes it): every reader shares it, and none can change the log through it. */
  readonly body: Readonly<Record<string, unknown>>;
}

/** The chained log in process memory (unit tests, single-process runs without a database). */
export class MemoryAuditLog implements LocalAuditLog {
  private readonly logs = new Map<string, Kept[]>();

  append(incidentId: string, entry: AuditEntryInput): Promise<void> {
    try {
      const log = this.logs.get(incidentId) ?? [];
      const { entry: sealed, bodyJson, body } = sealNext(incidentId, log.at(-1)?.fields, entry);
      log.push({ fields: { incidentId, seq: sealed.seq, at: sealed.at, kind: sealed.kind, actor: sealed.actor, prevHash: sealed.prevHash, hash: sealed.hash }, bodyJson, body });
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
    // Parsing (or cloning) every body on every read cost more than the rest of an append.
    return (this.logs.get(incidentId) ?? []).map((kept) => storedEntry(kept.fields, kept.bodyJson, () => kept.body));
  }

  incidentIds(): readonly string[] {
    return [...this.logs.keys()];
  }
}
