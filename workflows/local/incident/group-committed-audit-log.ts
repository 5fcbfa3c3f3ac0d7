import type { AuditEntry } from "../../../functions/audit/audit-entry.js";
import type { LocalAuditLog } from "../../../functions/audit/audit-log.js";
import type { AuditEntryInput } from "../../../functions/audit/audit-port.js";
import type { GroupCommit } from "../store/group-commit.js";
import type { SqliteAuditLog } from "../store/sqlite-audit-log.js";

/**
 * The embedded audit log with its appends group-committed: each append still reads the head and
 * chains in the same immediate transaction (now a savepoint of the turn's batch), in call order,
 * and resolves only once committed. A read of an incident with appends queued first runs the
 * queue, so a projection never misses an entry whose append was already asked for.
 */
export class GroupCommittedAuditLog implements LocalAuditLog {
  /** Appends queued and not yet run, per incident. */
  private readonly queued = new Map<string, number>();

  constructor(
    private readonly inner: SqliteAuditLog,
    private readonly group: GroupCommit,
  ) {}

  append(incidentId: string, entry: AuditEntryInput): Promise<void> {
    this.queued.set(incidentId, (this.queued.get(incidentId) ?? 0) + 1);
    return this.group.run(() => {
      const left = (this.queued.get(incidentId) ?? 1) - 1;
      if (left > 0) this.queued.set(incidentId, left);
      else this.queued.delete(incidentId);
      this.inner.appendNow(incidentId, entry);
    });
  }

  entries(incidentId: string): Promise<readonly AuditEntry[]> {
    return Promise.resolve(this.entriesNow(incidentId));
  }

  entriesNow(incidentId: string): readonly AuditEntry[] {
    if (this.queued.has(incidentId)) this.group.flush();
    return this.inner.entriesNow(incidentId);
  }

  incidentIds(): readonly string[] {
    this.group.flush();
    return this.inner.incidentIds();
  }
}
