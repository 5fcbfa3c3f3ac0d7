import { chainEntry, type AuditEntry } from "../../../functions/audit/audit-entry.js";
import type { LocalAuditLog } from "../../../functions/audit/audit-log.js";
import type { AuditEntryInput } from "../../../functions/audit/audit-port.js";
import type { Statement } from "better-sqlite3";
import { toColumn, type EmbeddedDatabase } from "./embedded-database.js";

interface Row {
  incident_id: string;
  seq: number;
  at: string;
  kind: string;
  actor: string;
  body: string;
  prev_hash: string;
  hash: string;
}

/** A body column that is not JSON any more (tampered) still reaches verification, as content that cannot match its hash. */
function parseBody(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : { $unparsable: text };
  } catch {
    return { $unparsable: text };
  }
}

const toEntry = (row: Row): AuditEntry => ({ incidentId: row.incident_id, seq: row.seq, at: row.at, kind: row.kind, actor: row.actor, body: parseBody(row.body), prevHash: row.prev_hash, hash: row.hash });

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
  };

  constructor(private readonly database: EmbeddedDatabase) {}

  private prepared() {
    const { db } = this.database;
    this.statements ??= {
      head: db.prepare<[string], { seq: number; hash: string }>("SELECT seq, hash FROM audit_log WHERE incident_id = ? ORDER BY seq DESC LIMIT 1"),
      insert: db.prepare<[string, number, string, string, string, string, string, string]>("INSERT INTO audit_log (incident_id, seq, at, kind, actor, body, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
      entries: db.prepare<[string], Row>("SELECT * FROM audit_log WHERE incident_id = ? ORDER BY seq"),
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
    const statements = this.prepared();
    return this.database.immediate(() => {
      const head = statements.head.get(incidentId);
      const entry = chainEntry(incidentId, head, input);
      statements.insert.run(
        entry.incidentId,
        entry.seq,
        entry.at,
        entry.kind,
        entry.actor,
        toColumn(entry.body),
        entry.prevHash,
        entry.hash,
      );
      return entry;
    });
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
