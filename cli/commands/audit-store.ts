import { existsSync } from "node:fs";
import { join } from "node:path";
import type { AuditEntry } from "../../functions/audit/audit-entry.js";
import { IncidentId } from "../../functions/incident/document.js";
import { DATABASE_FILE, EmbeddedDatabase } from "../../workflows/local/store/embedded-database.js";
import { SqliteAuditLog } from "../../workflows/local/store/sqlite-audit-log.js";
import { EXIT, paint } from "../output.js";
import { UsageError } from "../usage-error.js";
import { storeOptions, type StoreOptions } from "./store-options.js";

/** The embedded database the auditors' commands read; never created by reading. */
export function openAuditStore(options: StoreOptions): { database: EmbeddedDatabase; log: SqliteAuditLog } {
  const location = storeOptions.location(options);
  const file = location.path ?? join(location.dir!, DATABASE_FILE);
  if (!existsSync(file)) throw new UsageError(`no embedded database at ${file}: nothing has run here (or pass --db <file>)`);
  const database = EmbeddedDatabase.open({ path: file });
  return { database, log: new SqliteAuditLog(database) };
}

export function incidentArgument(id: string): string {
  const parsed = IncidentId.safeParse(id);
  if (!parsed.success) throw new UsageError(`${id}: ${parsed.error.issues[0]?.message ?? "is not an incident id"}`);
  return parsed.data;
}

/**
 * Opens the audit store, reads one incident's entries and hands them to `work`, closing the store
 * after. An id the log does not hold is a problem (exit 1, said on stderr), and `work` never runs.
 */
export async function withIncidentEntries(options: StoreOptions, incident: string, work: (entries: readonly AuditEntry[], id: string, database: EmbeddedDatabase) => void | Promise<void>): Promise<void> {
  const id = incidentArgument(incident);
  const { database, log } = openAuditStore(options);
  try {
    const entries = log.entriesNow(id);
    if (entries.length === 0) return reportIncidentNotFound(new IncidentNotFound(id));
    await work(entries, id, database);
  } finally {
    database.close();
  }
}

/** A missing incident, said as every auditors' command says it; any other error goes on up. */
export function reportIncidentNotFound(error: unknown): void {
  if (!(error instanceof IncidentNotFound)) throw error;
  process.stderr.write(`${paint.red("error:")} ${error.message}\n`);
  process.exitCode = EXIT.problems;
}

export class IncidentNotFound extends Error {
  constructor(readonly incidentId: string) {
    super(`no audit log for ${incidentId} in this database (irflow incidents lists those it has)`);
  }
}
