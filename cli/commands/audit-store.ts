import type { AuditEntry } from "../../functions/audit/audit-entry.js";
import { IncidentId } from "../../functions/incident/document.js";
import { verifyLinks, type ChainProblem } from "../../functions/audit/verify-chain.js";
import { checkLogAgainstStore } from "../../workflows/local/store/log-against-store.js";
import { vantage } from "../../workflows/local/incident/run-liveness.js";
import type { EmbeddedDatabase } from "../../workflows/local/store/embedded-database.js";
import { SqliteAuditLog } from "../../workflows/local/store/sqlite-audit-log.js";
import { EXIT, paint } from "../output.js";
import { UsageError } from "../usage-error.js";
import { openExistingStore, type StoreAccess } from "../existing-store.js";
import type { StoreOptions } from "./store-options.js";

/**
 * The embedded database and its audit log for a command that reads (`"read"`: opened read-only)
 * or also writes (`"write"`, the default); it must exist, and is never created here.
 */
export function openAuditStore(options: StoreOptions, access: StoreAccess = "write"): { database: EmbeddedDatabase; log: SqliteAuditLog } {
  const database = openExistingStore(options, access);
  return { database, log: new SqliteAuditLog(database) };
}

/** An incident id from the command line (an argument, or the value of `flag`), else a usage error saying why. */
export function incidentArgument(id: string, flag?: string): string {
  const parsed = IncidentId.safeParse(id);
  if (!parsed.success) throw new UsageError(`${flag ? `${flag} ` : ""}${id}: ${parsed.error.issues[0]?.message ?? "is not an incident id"}`);
  return parsed.data;
}

/**
 * Opens the audit store, reads one incident's entries and hands them to `work`, closing the store
 * after. An id the log does not hold is a problem (exit 1, said on stderr), and `work` never runs.
 */
export async function withIncidentEntries(options: StoreOptions, incident: string, work: (entries: readonly AuditEntry[], id: string, database: EmbeddedDatabase) => void | Promise<void>): Promise<void> {
  const id = incidentArgument(incident);
  const { database, log } = openAuditStore(options, "read");
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

/** Where a log fails, in short (`entry 12: edited`), as the warnings and a forced report say it. */
export function problemPlaces(problems: readonly ChainProblem[]): string[] {
  return problems.map((p) => `entry ${p.seq}: ${p.kind}`);
}

/**
 * What is wrong with an incident's log, short of re-hashing evidence: its chain, and what the store
 * says it must hold (an end cut off, a digest missing). `report` and `history` refuse or warn on
 * these as `verify` fails on them.
 */
export function logProblems(database: EmbeddedDatabase, incidentId: string, entries: readonly AuditEntry[]): ChainProblem[] {
  return [...verifyLinks(incidentId, entries).problems, ...checkLogAgainstStore(database, incidentId, entries, vantage()).problems].sort((a, b) => a.seq - b.seq);
}

/**
 * What a command that reads an incident's log says of that log: nothing when it verifies (it is the
 * record a row must agree with), else a warning that it fails verification, so neither what is
 * shown from it (`shown`: the timeline, what it records) nor a row agreeing with it is passed off
 * as the record.
 */
export function logStanding(database: EmbeddedDatabase, incidentId: string, entries: readonly AuditEntry[], shown = "what it records"): { readonly verified: boolean; readonly warning?: string } {
  const problems = logProblems(database, incidentId, entries);
  if (problems.length === 0) return { verified: true };
  return { verified: false, warning: `the audit log of ${incidentId} fails verification (${problemPlaces(problems).join("; ")}); ${shown} is not evidence. Run irflow verify ${incidentId}` };
}

/** How a warning about a row the log contradicts ends: the log is the record only when it verifies. */
export function disputeEnding(verified: boolean, incidentId: string, changedAfter: string): string {
  return verified ? `: the store was changed after ${changedAfter}, and the log is the record (irflow history ${incidentId})` : `; the log fails verification itself, so neither is the record (irflow verify ${incidentId})`;
}

