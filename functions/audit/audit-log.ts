import type { AuditEntry } from "./audit-entry.js";
import type { AuditAppender, AuditEntryInput } from "./audit-port.js";

/** An audit log that can be read back: what verification, projection and reports need. */
export interface AuditLog extends AuditAppender {
  /** The incident's entries in storage order (by seq), exactly as stored; unvalidated beyond shape. */
  entries(incidentId: string): Promise<readonly AuditEntry[]>;
}

/** A log whose reads are synchronous (in memory, embedded SQLite): the local runner projects from it in-line. */
export interface LocalAuditLog extends AuditLog {
  entriesNow(incidentId: string): readonly AuditEntry[];
  /** Every incident with at least one entry, oldest first entry first. */
  incidentIds(): readonly string[];
  /** The incident is closed here: whatever this log keeps of it in memory may go (reads still see it all). */
  forget?(incidentId: string): void;
  /** The stored entries and the appends still queued behind them, without running the queue (a log that queues appends). */
  entriesAndQueuedNow?(incidentId: string): { readonly entries: readonly AuditEntry[]; readonly queued: readonly AuditEntryInput[] };
}
