import type {
  IncidentStore,
  OpenedIncidentDocument,
  OpenOrJoinRequest,
  OpenOrJoinResult,
  Occurrence,
  SerializedEvent,
  StoredIncident,
} from "../../../functions/detect/incident-store.js";
import { preconditionFailed } from "../../../functions/contract/errors.js";
import { fromColumn, toColumn, type EmbeddedDatabase } from "./embedded-database.js";
import { groupCommitOf, type GroupCommit } from "./group-commit.js";

interface ClaimRow {
  incident_id: string;
  status: "open" | "closed";
  opened_at: string;
  expires_at_ms: number;
  execution_id: string;
}

interface IncidentRow {
  incident_id: string;
  dedupe_key: string;
  status: "open" | "closed";
  opened_at: string;
  opened_by: string;
  closed_at: string | null;
  document: string;
  event_json: string | null;
  event_sha256: string;
  event_bytes: number;
}

interface OccurrenceRow {
  event_id: string;
  time: string;
  execution_id: string;
  recorded_at: string;
}

/** Closes the dedupe claims an incident (`?`) holds; exported so a test can check its plan uses an index. */
export const CLOSE_DEDUPE_KEYS_SQL = "UPDATE dedupe_keys SET status = 'closed' WHERE incident_id = ?";

/** An incident as the embedded store keeps it (the memory store's record). */
export type SqliteStoredIncident = StoredIncident;

/**
 * The incident store in the embedded database, with the memory store's semantics: one open
 * incident per dedupe key and window (the window runs from opening), each event id recorded once,
 * a retry of the opening execution answered as the opener. Each call is atomic under the write
 * lock (a savepoint of the process's group commit, inside `BEGIN IMMEDIATE`), so of two processes
 * opening the same key one opens and the other joins. No lease or crash recovery is needed: a
 * transaction that dies leaves nothing behind.
 */
export class SqliteIncidentStore implements IncidentStore {
  private readonly group: GroupCommit;

  constructor(private readonly database: EmbeddedDatabase) {
    this.group = groupCommitOf(database);
  }

  async openOrJoin(request: OpenOrJoinRequest): Promise<OpenOrJoinResult> {
    return this.group.run(() => this.openOrJoinNow(request));
  }

  /** Closes an incident (as post-incident does): the next event with its key opens a new one. */
  async close(incidentId: string, at: Date): Promise<void> {
    const { db } = this.database;
    const closed = await this.group.run(() => {
      const updated = db.prepare<[string, string]>("UPDATE incidents SET status = 'closed', closed_at = coalesce(closed_at, ?) WHERE incident_id = ?").run(at.toISOString(), incidentId);
      if (updated.changes === 0) return false;
      // Only the claim this incident holds: a key a newer incident has taken stays open.
      db.prepare<[string]>(CLOSE_DEDUPE_KEYS_SQL).run(incidentId);
      return true;
    });
    if (!closed) throw preconditionFailed(`incident ${incidentId} is not in the embedded incident store`, incidentId);
  }

  incident(incidentId: string): SqliteStoredIncident | undefined {
    this.group.flush();
    const row = this.database.db.prepare<[string], IncidentRow>("SELECT * FROM incidents WHERE incident_id = ?").get(incidentId);
    return row ? this.toStored(row) : undefined;
  }

  /** Every incident, oldest first. */
  incidents(): SqliteStoredIncident[] {
    this.group.flush();
    return this.database.db.prepare<[], IncidentRow>("SELECT * FROM incidents ORDER BY opened_at, rowid").all().map((row) => this.toStored(row));
  }

  private openOrJoinNow(request: OpenOrJoinRequest): OpenOrJoinResult {
    const { db } = this.database;
    const { dedupeKey, incident, occurrence } = request;
    const at = incident.document.openedAt;
    const now = Date.parse(at);
    if (Number.isNaN(now)) throw new Error(`sqlite incident store: openedAt ${at} is not a time`);
    const claim = db.prepare<[string], ClaimRow>("SELECT incident_id, status, opened_at, expires_at_ms, execution_id FROM dedupe_keys WHERE dedupe_key = ?").get(dedupeKey);
    const inWindow = claim !== undefined && !(claim.expires_at_ms < now);
    // A closed incident still answers for the events it recorded (EventBridge delivers at least once).
    const open = inWindow && (claim.status === "open" || this.hasOccurrence(claim.incident_id, occurrence.eventId));
    if (open) {
      this.recordOccurrence(claim.incident_id, occurrence, at);
      return { incidentId: claim.incident_id, duplicate: claim.execution_id !== occurrence.executionId, openedAt: claim.opened_at, occurrences: this.countOccurrences(claim.incident_id) };
    }
    const { incidentId } = incident.document;
    if (db.prepare<[string], { one: number }>("SELECT 1 AS one FROM incidents WHERE incident_id = ?").get(incidentId)) {
      throw new Error(`sqlite incident store: incident id ${incidentId} is taken`);
    }
    const event = incident.event;
    db.prepare<[string, string, string, string, string, string | null, string, number]>(
      "INSERT INTO incidents (incident_id, dedupe_key, status, opened_at, opened_by, document, event_json, event_sha256, event_bytes) VALUES (?, ?, 'open', ?, ?, ?, ?, ?, ?)",
    ).run(incidentId, dedupeKey, at, occurrence.executionId, toColumn(incident.document), event.json ?? null, event.sha256, event.bytes);
    db.prepare<[string, string, string, number, string]>(
      `INSERT INTO dedupe_keys (dedupe_key, incident_id, status, opened_at, expires_at_ms, execution_id) VALUES (?, ?, 'open', ?, ?, ?)
       ON CONFLICT (dedupe_key) DO UPDATE SET incident_id = excluded.incident_id, status = 'open', opened_at = excluded.opened_at, expires_at_ms = excluded.expires_at_ms, execution_id = excluded.execution_id`,
    ).run(dedupeKey, incidentId, at, now + request.windowSeconds * 1000, occurrence.executionId);
    this.recordOccurrence(incidentId, occurrence, at);
    return { incidentId, duplicate: false, openedAt: at, occurrences: 1 };
  }

  private recordOccurrence(incidentId: string, occurrence: Occurrence, at: string): void {
    this.database.db
      .prepare<[string, string, string, string, string]>("INSERT INTO occurrences (incident_id, event_id, time, execution_id, recorded_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")
      .run(incidentId, occurrence.eventId, occurrence.time, occurrence.executionId, at);
  }

  private hasOccurrence(incidentId: string, eventId: string): boolean {
    return this.database.db.prepare<[string, string], { one: number }>("SELECT 1 AS one FROM occurrences WHERE incident_id = ? AND event_id = ?").get(incidentId, eventId) !== undefined;
  }

  private countOccurrences(incidentId: string): number {
    return this.database.db.prepare<[string], { n: number }>("SELECT count(*) AS n FROM occurrences WHERE incident_id = ?").get(incidentId)?.n ?? 0;
  }

  private toStored(row: IncidentRow): SqliteStoredIncident {
    const occurrences = this.database.db
      .prepare<[string], OccurrenceRow>("SELECT event_id, time, execution_id, recorded_at FROM occurrences WHERE incident_id = ? ORDER BY rowid")
      .all(row.incident_id)
      .map((o) => ({ eventId: o.event_id, time: o.time, executionId: o.execution_id, recordedAt: o.recorded_at }));
    const event: SerializedEvent = row.event_json === null ? { sha256: row.event_sha256, bytes: row.event_bytes } : { json: row.event_json, sha256: row.event_sha256, bytes: row.event_bytes };
    return {
      incidentId: row.incident_id,
      dedupeKey: row.dedupe_key,
      status: row.status,
      openedAt: row.opened_at,
      openedBy: row.opened_by,
      ...(row.closed_at === null ? {} : { closedAt: row.closed_at }),
      document: fromColumn<OpenedIncidentDocument>(row.document),
      event,
      occurrences,
    };
  }
}
