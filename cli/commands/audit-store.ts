import { existsSync } from "node:fs";
import { join } from "node:path";
import { IncidentId } from "../../functions/incident/document.js";
import { DATABASE_FILE, EmbeddedDatabase } from "../../workflows/local/store/embedded-database.js";
import { SqliteAuditLog } from "../../workflows/local/store/sqlite-audit-log.js";
import { UsageError } from "./lint.js";
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

export class IncidentNotFound extends Error {
  constructor(readonly incidentId: string) {
    super(`no audit log for ${incidentId} in this database (irflow incidents lists those it has)`);
  }
}
