import { sealNext, type AuditEntry, type SealedEntry } from "../../../functions/audit/audit-entry.js";
import type { LocalAuditLog } from "../../../functions/audit/audit-log.js";
import { storedEntry } from "../../../functions/audit/stored-entry.js";
import type { AuditEntryInput } from "../../../functions/audit/audit-port.js";
import type { Statement } from "better-sqlite3";
import type { EmbeddedDatabase } from "./embedded-database.js";

/** incident_id, seq, at, kind, actor, body, prev_hash, hash: read as arrays, not one object per row. */
type Row = [string, number, string, string, string, string, string, string];

/** A body column that is not JSON any more (tampered) still reaches verification, as content that cannot match its hash. */
function parseBody(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : { $unparsable: text };
  } catch {
    return { $unparsable: text };
  }
}

// The body is parsed when first read: verification hashes the stored text itself (see verify-chain.ts).
const toEntry = (row: Row): AuditEntry => storedEntry({ incidentId: row[0], seq: row[1], at: row[2], kind: row[3], actor: row[4], prevHash: row[6], hash: row[7] }, String(row[5]), parseBody);

/**
 * The hash-chained audit log in the embedded database (`audit_log`). Each append reads the head
 * and inserts the next entry in one `BEGIN IMMEDIATE` transaction, so two processes appending to
 * the same incident queue on the write lock and chain one after the other, never both on one head.
 */
export class SqliteAuditLog implements LocalAuditLog {
  // Prepared once, on first use: preparing costs more than running these small statements.
  private statements?: {
    readonly head: Statement<[string], { seq: number; hash: string }>;
    readonly insert: Statement<[string, number, string, string, string, string, string, string]>;
    readonly entries: Statement<[string], Row>;
    readonly after: Statement<[string, number], Row>;
  };

  constructor(private readonly database: EmbeddedDatabase) {}

  private prepared() {
    const { db } = this.database;
    this.statements ??= {
      head: db.prepare<[string], { seq: number; hash: string }>("SELECT seq, hash FROM audit_log WHERE incident_id = ? ORDER BY seq DESC LIMIT 1"),
      insert: db.prepare<[string, number, string, string, string, string, string, string]>("INSERT INTO audit_log (incident_id, seq, at, kind, actor, body, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
      entries: db.prepare<[string], Row>("SELECT incident_id, seq, at, kind, actor, body, prev_hash, hash FROM audit_log WHERE incident_id = ? ORDER BY seq").raw(true),
      after: db.prepare<[string, number], Row>("SELECT incident_id, seq, at, kind, actor, body, prev_hash, hash FROM audit_log WHERE incident_id = ? AND seq > ? ORDER BY seq").raw(true),
    };
    return this.statements;
  }

  append(incidentId: string, entry: AuditEntryInput): Promise<void> {
    try {
      this.appendNow(incidentId, entry);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** Appends and returns the stored entry. */
  appendNow(incidentId: string, input: AuditEntryInput): AuditEntry {
    return this.appendSealed(incidentId, input).entry;
  }

  /** Appends and returns the stored entry with its body's text (as stored) and object (as parsing that text gives it). */
  appendSealed(incidentId: string, input: AuditEntryInput): SealedEntry {
    const statements = this.prepared();
    return this.database.immediate(() => {
      const head = statements.head.get(incidentId);
      // The body column holds the very text the hash covers (canonical JSON).
      const sealed = sealNext(incidentId, head, input);
      const { entry } = sealed;
      statements.insert.run(entry.incidentId, entry.seq, entry.at, entry.kind, entry.actor, sealed.bodyJson, entry.prevHash, entry.hash);
      return sealed;
    });
  }

  /** The incident's last stored entry's seq and hash (one indexed row), or undefined for an empty log. */
  headNow(incidentId: string): { readonly seq: number; readonly hash: string } | undefined {
    return this.prepared().head.get(incidentId);
  }

  /** The incident's entries after `seq`, in seq order. */
  entriesAfterNow(incidentId: string, seq: number): readonly AuditEntry[] {
    return this.prepared().after.all(incidentId, seq).map(toEntry);
  }

  entries(incidentId: string): Promise<readonly AuditEntry[]> {
    return Promise.resolve(this.entriesNow(incidentId));
  }

  entriesNow(incidentId: string): readonly AuditEntry[] {
    return this.prepared().entries.all(incidentId).map(toEntry);
  }

  incidentIds(): readonly string[] {
    return this.database.db
      .prepare<[], { incident_id: string }>("SELECT incident_id, min(at) AS first FROM audit_log GROUP BY incident_id ORDER BY first, incident_id")
      .all()
      .map((row) => row.incident_id);
  }
}
