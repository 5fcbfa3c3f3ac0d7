import { withdrawnEntry } from "../../../functions/approval/approval-audit.js";
import { auditEntry, KIND } from "../../../functions/audit/audit-kinds.js";
import type { IncidentStore } from "../../../functions/detect/incident-store.js";
import type { EmbeddedDatabase } from "../store/embedded-database.js";
import { archivedEntry, storedHistoryDigest } from "../store/history-digest.js";
import { endedExecutions, withoutDigest } from "../store/log-against-store.js";
import { SqliteApprovals } from "../store/sqlite-approvals.js";
import { SqliteAuditLog } from "../store/sqlite-audit-log.js";
import { SqliteHistory, type ExecutionSummary } from "../store/sqlite-history.js";
import { SqliteIncidentStore } from "../store/sqlite-incident-store.js";
import { closeLocally } from "./close-locally.js";
import { AuditedIncidentRecords } from "./incident-record.js";
import { describeRunners, type RunnerRecord } from "../runner-liveness.js";
import { combinedRunLiveness, runningExecutionsLiveness, THIS_HOST, type LivenessProbe } from "./run-liveness.js";

export interface CloseAbandonedRequest {
  readonly incidentId: string;
  /** Who closes it (the audit entries' actor). */
  readonly by: string;
  readonly reason: string;
  /** Close even though executions of it are RUNNING in the store and their process may be alive (the responder knows it is gone). */
  readonly force: boolean;
  readonly reportsDirectory: string;
  readonly now: Date;
  /** How the runners of RUNNING executions are judged alive; default this host, wall clock, its pids. */
  readonly probe?: LivenessProbe;
}

export type CloseAbandonedResult =
  | {
      readonly closed: true;
      readonly reportLocation: string;
      readonly aborted: readonly ExecutionSummary[];
      /** Set when RUNNING executions were ended without `force`: the runners they named, all gone. */
      readonly goneRunners?: readonly RunnerRecord[];
    }
  | { readonly closed: false; readonly problem: "not-found" | "already-closed" | "running"; readonly message: string; readonly running?: readonly ExecutionSummary[] };

/**
 * `irflow incidents close`: closes an incident a process left open when it died (SIGKILL, a
 * crash) before the run could close it. Executions it shows RUNNING refuse the close while the
 * process that runs them may be alive (its liveness record says so, or an execution names no
 * runner) unless `force`; when every one's runner is gone, or forced, they are ended
 * ABORTED (cause "closed by <who>: <why>", with their phase's end in the log), the approvals they
 * waited at are withdrawn, and the incident is
 * closed as aborted by <who> with its report, like a run that was stopped.
 */
export async function closeAbandoned(database: EmbeddedDatabase, request: CloseAbandonedRequest): Promise<CloseAbandonedResult> {
  const { incidentId, by, reason } = request;
  const records = new AuditedIncidentRecords(new SqliteAuditLog(database));
  const record = records.get(incidentId);
  if (!record) return { closed: false, problem: "not-found", message: `no audit log for ${incidentId} in this database (irflow incidents lists those it has)` };
  const store = new SqliteIncidentStore(database);
  const stored = store.incident(incidentId);
  if (record.closed && stored?.status !== "open") {
    return { closed: false, problem: "already-closed", message: `${incidentId} was closed at ${record.closed.at} (${record.closed.status}); irflow report ${incidentId} shows how it ended` };
  }
  const history = new SqliteHistory(database);
  const running = history.list({ incidentId, status: "RUNNING" });
  const liveness = running.length > 0 && !request.force ? runLivenessOf(database, incidentId, running, request.probe ?? THIS_HOST) : undefined;
  if (liveness?.liveness === "alive") {
    const alive = describeRunners(liveness.runners);
    return {
      closed: false,
      problem: "running",
      running,
      message: `${incidentId} is still run by a live process (${alive}): stop it with irflow abort ${incidentId} --reason <why> (it then closes the incident itself)`,
    };
  }
  if (liveness?.liveness === "unknown") {
    return {
      closed: false,
      problem: "running",
      running,
      message:
        `${incidentId} has ${running.length} execution${running.length === 1 ? "" : "s"} RUNNING in the store, and irflow cannot tell whether a process still runs ${running.length === 1 ? "it" : "them"}: ` +
        `if the run is alive, stop it with irflow abort ${incidentId} --reason <why> (it then closes the incident itself); if its process died, close it with --force`,
    };
  }
  // How the incident execution had ended before this close (RUNNING: its process died with it).
  const root = record.opened?.executionArn !== undefined ? history.describe(record.opened.executionArn) : undefined;
  const ended = root && root.status !== "RUNNING" && root.status !== "SUCCEEDED" ? root.status : "RUNNING";
  const at = request.now.toISOString();
  const cause = `closed by ${by}: ${reason}`;
  const aborted = running.filter((execution) => history.markAborted(execution.executionArn, at, cause));
  // Approvals its dead run waited at would otherwise stay pending for ever: withdrawn, by whom and why.
  const approvals = new SqliteApprovals(database);
  for (const approval of approvals.pending({ incidentId })) {
    if (approvals.markWithdrawn(approval.id, { at: request.now, by, reason })) await records.append(incidentId, withdrawnEntry(approval, { by, reason, at }, by));
  }
  // An answer given after the run died (irflow approve says so) never reached it: withdrawn too, the answer kept as too late.
  for (const approval of approvals.answeredUnresumed(incidentId)) {
    if (!approvals.markWithdrawn(approval.id, { at: request.now, by, reason })) continue;
    const closed = approvals.view(approval.id);
    if (closed?.withdrawal) await records.append(incidentId, withdrawnEntry(closed, closed.withdrawal, by));
  }
  // The phases the log saw start end here, so the report's phases say ABORTED rather than RUNNING.
  for (const execution of record.executions) {
    if (execution.endedAt !== undefined || !aborted.some((a) => a.executionArn === execution.executionArn)) continue;
    await records.append(incidentId, auditEntry(KIND.phaseEnded, by, at, { phase: execution.phase, machineKey: execution.machineKey, executionArn: execution.executionArn, name: execution.name, status: "ABORTED", cause }));
  }
  // Every ended execution's history digest, as the run records them: those it aborted here, and any
  // the dead run ended without recording (it died in between).
  for (const executionArn of withoutDigest(endedExecutions(database, incidentId), records.log.entriesNow(incidentId))) {
    const digest = storedHistoryDigest(database, executionArn);
    if (digest) await records.append(incidentId, archivedEntry(executionArn, history.describe(executionArn)?.status ?? "ABORTED", digest, at));
  }
  // An incident the embedded store never held (its log came from elsewhere) has no dedupe key to free.
  const incidents: IncidentStore = stored ? store : { openOrJoin: (r) => store.openOrJoin(r), close: () => Promise.resolve() };
  const { reportLocation } = await closeLocally(
    { records, incidents, reportsDirectory: request.reportsDirectory },
    incidentId,
    { status: "aborted", document: record.opened?.document ?? {}, actor: by, stopped: { execution: ended, by, reason } },
    request.now,
  );
  return { closed: true, reportLocation, aborted, ...(liveness?.liveness === "gone" ? { goneRunners: liveness.runners } : {}) };
}

/** The run behind an incident's RUNNING executions: alive if any execution's runner is, gone only if every one's is. */
function runLivenessOf(database: EmbeddedDatabase, incidentId: string, running: readonly ExecutionSummary[], probe: LivenessProbe) {
  const each = runningExecutionsLiveness(database, { incidentId }, probe);
  const of = running.map((execution) => each.get(execution.executionArn) ?? { liveness: "unknown" as const, runners: [] });
  return combinedRunLiveness(of);
}
