import type { AuditEntry, SealedEntry } from "../../../functions/audit/audit-entry.js";
import type { LocalAuditLog } from "../../../functions/audit/audit-log.js";
import type { AuditEntryInput } from "../../../functions/audit/audit-port.js";
import { deepFreeze } from "../../../functions/audit/deep-freeze.js";
import { storedEntry, unreadBodyJson } from "../../../functions/audit/stored-entry.js";
import type { GroupCommit } from "../store/group-commit.js";
import type { SqliteAuditLog } from "../store/sqlite-audit-log.js";

/** One entry as this process holds it: the stored text and the body parsing it gives, frozen (every reader shares it). */
interface Kept {
  readonly fields: Omit<AuditEntry, "body">;
  readonly bodyJson: string;
  readonly body: Readonly<Record<string, unknown>>;
}

const fieldsOf = (entry: AuditEntry): Omit<AuditEntry, "body"> => ({ incidentId: entry.incidentId, seq: entry.seq, at: entry.at, kind: entry.kind, actor: entry.actor, prevHash: entry.prevHash, hash: entry.hash });

/**
 * The embedded audit log with its appends group-committed: each append still reads the head and
 * chains in the same immediate transaction (now a savepoint of the turn's batch), in call order,
 * and resolves only once committed. A read of an incident with appends queued first runs the
 * queue, so a projection never misses an entry whose append was already asked for.
 *
 * An incident this process opened (appended its first entry) is also kept in memory until it is
 * forgotten at its close, so reading it back parses nothing again: a read checks the stored head
 * (one indexed row) and reads only entries another process appended since. A head that does not
 * follow what is kept (an edited or removed row) drops the copy and reads the store as it is.
 */
export class GroupCommittedAuditLog implements LocalAuditLog {
  /** Appends queued and not yet run, per incident, in call order. */
  private readonly queued = new Map<string, AuditEntryInput[]>();
  /** The entries of incidents opened here and not yet closed, as appended (and caught up), by seq. */
  private readonly kept = new Map<string, Kept[]>();

  constructor(
    private readonly inner: SqliteAuditLog,
    private readonly group: GroupCommit,
  ) {}

  append(incidentId: string, entry: AuditEntryInput): Promise<void> {
    const queued = this.queued.get(incidentId);
    if (queued) queued.push(entry);
    else this.queued.set(incidentId, [entry]);
    // No longer queued once it ran, or once its batch failed without running it.
    let waiting = true;
    const unqueue = () => {
      if (!waiting) return;
      waiting = false;
      const list = this.queued.get(incidentId);
      const at = list ? list.indexOf(entry) : -1;
      if (at >= 0) list!.splice(at, 1);
      if (list?.length === 0) this.queued.delete(incidentId);
    };
    return new Promise<void>((resolve, reject) => {
      this.group.add(
        () => {
          unqueue();
          this.keep(incidentId, this.inner.appendSealed(incidentId, entry));
        },
        (error) => {
          if (error === undefined) return resolve();
          unqueue();
          reject(error);
        },
      );
    });
  }

  /**
   * The stored entries and the inputs queued behind them, without running the queue: a caller
   * that only looks for an entry it will append itself (a milestone) does not force a commit in
   * the middle of the turn for every incident's queued writes.
   */
  entriesAndQueuedNow(incidentId: string): { readonly entries: readonly AuditEntry[]; readonly queued: readonly AuditEntryInput[] } {
    return { entries: this.storedNow(incidentId), queued: [...(this.queued.get(incidentId) ?? [])] };
  }

  entries(incidentId: string): Promise<readonly AuditEntry[]> {
    return Promise.resolve(this.entriesNow(incidentId));
  }

  entriesNow(incidentId: string): readonly AuditEntry[] {
    if (this.queued.has(incidentId)) this.group.flush();
    return this.storedNow(incidentId);
  }

  /** What the store holds now (queued appends not run). */
  private storedNow(incidentId: string): readonly AuditEntry[] {
    const kept = this.kept.get(incidentId);
    if (!kept || !this.caughtUp(incidentId, kept)) {
      this.kept.delete(incidentId);
      return this.inner.entriesNow(incidentId);
    }
    // A new entry object per read, as the store gives: a caller replacing a body changes only its copy.
    return kept.map((k) => storedEntry(k.fields, k.bodyJson, () => k.body));
  }

  incidentIds(): readonly string[] {
    this.group.flush();
    return this.inner.incidentIds();
  }

  forget(incidentId: string): void {
    this.kept.delete(incidentId);
  }

  /** How many incidents are kept in memory (tests: forgotten at close). */
  get keptIncidents(): number {
    return this.kept.size;
  }

  private keep(incidentId: string, { entry, bodyJson, body }: SealedEntry): void {
    const kept = this.kept.get(incidentId);
    // Sealing gave the body deep-frozen already.
    const next: Kept = { fields: fieldsOf(entry), bodyJson, body };
    if (kept) {
      const last = kept.at(-1)!.fields;
      // Chained onto what is kept, or another process appended in between: read it all again when asked.
      if (entry.seq === last.seq + 1 && entry.prevHash === last.hash) kept.push(next);
      else this.kept.delete(incidentId);
    } else if (entry.seq === 1) {
      this.kept.set(incidentId, [next]);
    }
  }

  /** Whether `kept` is the whole stored log, after reading what other processes appended since. */
  private caughtUp(incidentId: string, kept: Kept[]): boolean {
    const head = this.inner.headNow(incidentId);
    const last = kept.at(-1)!.fields;
    if (head?.seq === last.seq) return head.hash === last.hash;
    if (head === undefined || head.seq < last.seq) return false;
    let previous = last;
    for (const entry of this.inner.entriesAfterNow(incidentId, last.seq)) {
      if (entry.seq !== previous.seq + 1 || entry.prevHash !== previous.hash) return false;
      // The text first: reading the body parses it and lets the text go.
      const bodyJson = unreadBodyJson(entry)!;
      const added: Kept = { fields: fieldsOf(entry), bodyJson, body: deepFreeze(entry.body) };
      kept.push(added);
      previous = added.fields;
    }
    return true;
  }
}
