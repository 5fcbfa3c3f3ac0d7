import { randomUUID } from "node:crypto";
import { resolve } from "node:path";
import type { ClientProvider } from "../../../functions/contract/clients.js";
import type { IrflowConfig } from "../../../functions/contract/config.js";
import { TaskError } from "../../../functions/contract/errors.js";
import type { Clock, Logger } from "../../../functions/contract/task.js";
import { MemoryIncidentStore, type IncidentStore } from "../../../functions/detect/incident-store.js";
import { createOpenIncident } from "../../../functions/detect/open-incident.js";
import { SYSTEM_TASKS, findTask } from "../../../functions/registry.js";
import { executeTask, formatIssues, TaskEnvelope, type TaskPorts } from "../../../functions/runtime/execute-task.js";
import { MemoryStepJournal, type StepJournal } from "../../../functions/runtime/step-journal.js";
import { findImplementation } from "../../../functions/tasks.js";
import type { StateMachine } from "../../compiler/asl.js";
import { loadGeneratedMachines } from "../generated-machines.js";
import { InMemoryHistory, TERMINAL_STATUS, type HistoryEvent, type HistorySink } from "../history.js";
import { LocalEngine, type ExecutionHandle, type LocalTask, type Outcome } from "../local-engine.js";
import type { EventBridgeEvent, SimulatedAccount } from "../simulated-account/index.js";
import { requesterOf } from "../../../functions/approval/approval.js";
import type { AuditAppender } from "../../../functions/audit/audit-port.js";
import type { EmbeddedDatabase } from "../store/embedded-database.js";
import { BatchedHistory } from "../store/batched-history.js";
import { archivedEntry, storedHistoryDigest, type StoredHistoryDigest } from "../store/history-digest.js";
import { SqliteHistory } from "../store/sqlite-history.js";
import { SqliteIncidentStore } from "../store/sqlite-incident-store.js";
import { SqliteStepJournal } from "../store/sqlite-step-journal.js";
import { MemoryApprovalDesk, parseApprovalRequest, type ApprovalDesk, type ApprovalPolicy, type TaskAnswerPort } from "./approval-desk.js";
import { SqliteApprovalDesk } from "./sqlite-approval-desk.js";
import { MemoryRefusedEventLog, refusalOf, type RefusedEventLog } from "./refused-events.js";
import { SqliteRefusedEventLog } from "../store/sqlite-refused-events.js";
import { auditEntry, Bodies, KIND, phaseExecutionName } from "../../../functions/audit/audit-kinds.js";
import type { AuditEntry } from "../../../functions/audit/audit-entry.js";
import type { RecordedExecution } from "../../../functions/audit/incident-record.js";
import { explainCause } from "../../../functions/audit/report/explain-cause.js";
import type { LocalAuditLog } from "../../../functions/audit/audit-log.js";
import { MemoryAuditLog } from "../../../functions/audit/memory-audit-log.js";
import { SqliteAuditLog } from "../store/sqlite-audit-log.js";
import { groupCommitOf } from "../store/group-commit.js";
import { GroupCommittedAuditLog } from "./group-committed-audit-log.js";
import { AuditedIncidentRecords, LOCAL_ACTOR, RecordingJournal, type IncidentRecordStore, type MilestoneName } from "./incident-record.js";
import { closeLocally, ReportNotWritten, type LocalClosePorts, type LocalClosure } from "./close-locally.js";
import { configFromAccount } from "./scenario-config.js";
import { ABORT_ACTOR, ABORT_KIND, abortCause, type AbortRequestStore } from "./abort-requests.js";
import { AbortWatch } from "./abort-watch.js";
import { SqliteAbortRequests } from "../store/sqlite-abort-requests.js";

export const GENERATED_DIRECTORY = resolve(import.meta.dirname, "../../generated");
export const DEFAULT_REPORTS_DIRECTORY = ".irflow/reports";

/** One history event of an incident's executions (the incident machine or one of its phases). */
export interface IncidentProgress {
  readonly executionArn: string;
  readonly machineKey: string;
  readonly event: HistoryEvent;
}

export interface LogEntry {
  readonly level: "info" | "warn" | "error";
  readonly task: string;
  readonly stepId: string;
  readonly message: string;
  readonly fields?: Record<string, unknown>;
}

export interface LocalIncidentRunnerOptions {
  /** The account the tasks act on. */
  readonly account: SimulatedAccount;
  /** The runbooks this process runs; their machines are loaded once. */
  readonly runbookIds: readonly string[];
  /** Machines to use instead of reading `generatedDirectory`. */
  readonly definitions?: ReadonlyMap<string, StateMachine>;
  readonly generatedDirectory?: string;
  /** Default: derived from the account (configFromAccount). */
  readonly config?: IrflowConfig;
  readonly journal?: StepJournal;
  readonly incidents?: IncidentStore;
  readonly records?: IncidentRecordStore;
  /** Builds the approval desk around the engine's SendTaskSuccess/Failure; default in memory (SqliteApprovalDesk on the embedded database). */
  readonly approvalDesk?: (answers: TaskAnswerPort, clock: Clock) => ApprovalDesk;
  /** The embedded database: approvals wait there, so `irflow approve` in another terminal can answer. */
  readonly database?: EmbeddedDatabase;
  /** Where approval requests, answers (accepted or refused), reminders and expiries are audited. */
  readonly audit?: AuditAppender;
  /** Where events that did not become an incident are recorded; default the database's, else memory. */
  readonly refusals?: RefusedEventLog;
  /** How often the approval desk's sweep (reminders, expiry) runs while an incident runs; default 1000 ms, 0 never. */
  readonly approvalSweepMs?: number;
  readonly reportsDirectory?: string;
  readonly clock?: Clock;
  /** What tasks wait with when they poll; default instant (a local run has nothing to wait for). */
  readonly sleep?: (milliseconds: number) => Promise<void>;
  readonly history?: HistorySink;
  /** Scales Step Functions Retry waits; default 1 (tests use 0). */
  readonly retryDelayScale?: number;
  /** Where `irflow abort` leaves requests for this process; default the database's (none without one). */
  readonly abortRequests?: AbortRequestStore;
  /** How often a running incident looks for abort requests; default 50 ms, 0 never. */
  readonly abortPollMs?: number;
  /** This process's liveness record in the embedded database, named on every execution it starts there. */
  readonly runnerId?: string;
}

/** Who stops which executions, and why (`irflow abort`, or the run's own Ctrl-C). */
export interface AbortOrder {
  readonly by: string;
  readonly reason: string;
  /** The executions to stop; an incident machine's takes its running phases with it. Default every one this runner runs. */
  readonly executionArns?: readonly string[];
  /** The stored request this carries out, if any. */
  readonly requestId?: string;
}

export interface RunIncidentRequest {
  readonly runbookId: string;
  /** The EventBridge event, as the runbook's rule would deliver it. */
  readonly event: EventBridgeEvent | Record<string, unknown>;
  readonly approvals: ApprovalPolicy;
  /** The incident machine's execution name (default a UUID). */
  readonly name?: string;
  /** Every history event of this incident's executions, as it is recorded. */
  readonly onEvent?: (progress: IncidentProgress) => void;
  /** Who started the run (`irflow run --as`): the requester of a manual incident's approvals. */
  readonly requestedBy?: string;
}

export interface IncidentRunResult {
  readonly incidentId?: string;
  /** How the incident machine ended. */
  readonly outcome: Outcome;
  /** resolved, failed (post-incident ran), joined (a duplicate event joined an open incident), or how the execution stopped. */
  readonly status: "resolved" | "failed" | "joined" | "detection-failed" | "aborted" | "timed-out";
  readonly executionArn: string;
  readonly reportLocation?: string;
}

/** An execution's incident execution (itself for the incident machine), machine key and name. */
interface Lineage {
  readonly root: string;
  readonly machineKey: string;
  readonly name: string;
}

const PHASE_MILESTONES: Readonly<Record<string, MilestoneName>> = { contain: "contained", eradicate: "eradicated", recover: "recovered" };
const instantSleep = (): Promise<void> => Promise.resolve();
const systemClock: Clock = { now: () => new Date() };

/**
 * Runs whole incidents locally: one LocalEngine for the given runbooks, the library's tasks
 * against a simulated account, and local implementations of the four system tasks (open the
 * incident, ask for approval, record a failure, close the incident with a written report).
 */
export class LocalIncidentRunner {
  readonly engine: LocalEngine;
  readonly approvals: ApprovalDesk;
  readonly records: IncidentRecordStore;
  /** Every event the detect phase refused (DetectionFailed before an incident opened), with the reason. */
  readonly refusals: RefusedEventLog;
  readonly config: IrflowConfig;
  readonly logs: LogEntry[] = [];
  readonly history: HistorySink;

  private readonly account: SimulatedAccount;
  private readonly clock: Clock;
  private readonly sleep: (milliseconds: number) => Promise<void>;
  private readonly journal: StepJournal;
  private readonly incidents: IncidentStore;
  private readonly reportsDirectory: string;
  private readonly policies = new Map<string, ApprovalPolicy>();
  private readonly listeners = new Map<string, (progress: IncidentProgress) => void>();
  private readonly incidentOf = new Map<string, string>();
  /**
   * Each running execution's incident execution and machine (fixed at its start): resolved at its
   * ExecutionStarted and dropped at its end, not looked up again for each of its events.
   */
  private readonly lineage = new Map<string, Lineage>();
  private readonly reports = new Map<string, string>();
  private readonly requesters = new Map<string, string>();
  private readonly approvalSweepMs: number;
  /** One client per service for every task, as a Lambda keeps its clients across invocations (building one costs more than the call). */
  private readonly aws: ClientProvider;
  /** Where history is written: `history` itself, or its batched writer on the embedded database. */
  private readonly historyWriter: HistorySink;
  /** Incident executions running in `runIncident`, and every execution each has started (itself first). */
  private readonly running = new Map<string, string[]>();
  /** Incident executions whose event joined an incident another execution opened: theirs to close, not these. */
  private readonly joined = new Set<string>();
  /** Takes abort requests another process wrote for this runner's executions. */
  private readonly abortWatch: AbortWatch | undefined;
  /** The digest of an execution's stored history, when history is in the embedded database (else none is recorded). */
  private readonly historyDigest: ((executionArn: string) => StoredHistoryDigest | undefined) | undefined;
  /** Per incident execution: the `execution.archived` entries of its executions still being written. */
  private readonly archiving = new Map<string, Promise<void>[]>();

  static async create(options: LocalIncidentRunnerOptions): Promise<LocalIncidentRunner> {
    const definitions = options.definitions ?? (await loadGeneratedMachines(options.generatedDirectory ?? GENERATED_DIRECTORY, options.runbookIds));
    return new LocalIncidentRunner(options, definitions);
  }

  private constructor(options: LocalIncidentRunnerOptions, definitions: ReadonlyMap<string, StateMachine>) {
    const wanted = new Map([...definitions].filter(([key]) => options.runbookIds.some((id) => key.startsWith(`${id}/`))));
    const missing = options.runbookIds.filter((id) => !wanted.has(`${id}/incident`));
    if (missing.length > 0) throw new Error(`no generated incident machine for ${missing.join(", ")}`);
    this.account = options.account;
    this.aws = options.account.clientProvider();
    this.clock = options.clock ?? systemClock;
    this.sleep = options.sleep ?? instantSleep;
    this.config = options.config ?? configFromAccount(options.account);
    // The record is a projection of the audit log: durable in the embedded database when there is one.
    this.records = options.records ?? new AuditedIncidentRecords(isLocalAuditLog(options.audit) ? options.audit : options.database ? new GroupCommittedAuditLog(new SqliteAuditLog(options.database), groupCommitOf(options.database)) : new MemoryAuditLog());
    // Step records, incidents and history in the embedded database when there is one, so another process sees them.
    const { database } = options;
    this.journal = new RecordingJournal(options.journal ?? (database ? new SqliteStepJournal(database) : new MemoryStepJournal()), this.records);
    this.incidents = options.incidents ?? (database ? new SqliteIncidentStore(database) : new MemoryIncidentStore());
    this.refusals = options.refusals ?? (database ? new SqliteRefusedEventLog(database) : new MemoryRefusedEventLog());
    this.reportsDirectory = resolve(options.reportsDirectory ?? DEFAULT_REPORTS_DIRECTORY);
    this.approvalSweepMs = options.approvalSweepMs ?? 1000;
    const inner = options.history ?? (database ? new SqliteHistory(database, options.runnerId !== undefined ? { runnerId: options.runnerId } : {}) : new InMemoryHistory());
    this.history = inner;
    // The embedded store's writes grouped per turn of the event loop, in order (links too).
    this.historyWriter = !options.history && database ? new BatchedHistory(inner, groupCommitOf(database)) : inner;
    // The digest the writer made as it stored the rows; read back when it has none (a write failed, say).
    this.historyDigest = !options.history && database && inner instanceof SqliteHistory ? (executionArn) => inner.takeDigest(executionArn) ?? storedHistoryDigest(database, executionArn) : undefined;
    const writer = this.historyWriter;
    const drained = writer.drained?.bind(writer);
    const sink: HistorySink = {
      // A promise only when there is something to wait for (an audit entry, or a sink that awaits):
      // the recorder hands the next event straight on otherwise, not one promise turn per event.
      append: (executionArn, event) => {
        const written = writer.append(executionArn, event);
        if (written === undefined) return this.afterAppend(executionArn, event);
        return written.then(() => this.afterAppend(executionArn, event));
      },
      ...(drained ? { drained } : {}),
    };
    this.engine = new LocalEngine({ definitions: wanted, tasks: (name) => this.taskFor(name), history: sink, clock: this.clock, retryDelayScale: options.retryDelayScale ?? 1 });
    const answers: TaskAnswerPort = {
      sendTaskSuccess: (token, output) => this.engine.sendTaskSuccess(token, output),
      sendTaskFailure: (token, error, cause) => this.engine.sendTaskFailure(token, error, cause),
      isWaiting: (token) => this.engine.pendingTokens().some((pending) => pending.token === token),
    };
    const deskOptions = {
      answers,
      now: () => this.clock.now(),
      // The desk that takes an answer audits it, with the authority it was given under: the one
      // entry of each decision (the run does not write a second one when it resumes the workflow).
      audit: options.audit ?? this.records.log,
    };
    this.approvals = options.approvalDesk
      ? options.approvalDesk(answers, this.clock)
      : options.database
        ? new SqliteApprovalDesk(options.database, deskOptions)
        : new MemoryApprovalDesk(deskOptions);
    const abortRequests = options.abortRequests ?? (database ? new SqliteAbortRequests(database) : undefined);
    this.abortWatch = abortRequests
      ? new AbortWatch({
          store: abortRequests,
          now: () => this.clock.now(),
          pollMs: options.abortPollMs,
          // Still running here: the families keep ended phases, and a request taken for those alone would stop nothing.
          serves: (request) => request.executionArns.some((arn) => this.engine.running(arn) !== undefined && [...this.running.values()].some((family) => family.includes(arn))),
          apply: (request) => this.abort({ by: request.requestedBy, reason: request.reason, executionArns: request.executionArns, requestId: request.id }).then(() => undefined),
          onError: (error) => this.logs.push({ level: "error", task: "irflow.abort", stepId: "", message: `stopped looking for abort requests: ${String(error)}` }),
          onApplyError: (request, error) => this.logs.push({ level: "error", task: "irflow.abort", stepId: "", message: `could not carry out abort request ${request.id} (given back): ${String(error)}` }),
        })
      : undefined;
  }

  /** Starts the runbook's incident machine with the event and waits until it stops. */
  async runIncident(request: RunIncidentRequest): Promise<IncidentRunResult> {
    const handle = this.engine.start(`${request.runbookId}/incident`, request.event, { name: request.name ?? randomUUID() });
    this.policies.set(handle.executionArn, request.approvals);
    this.requesters.set(handle.executionArn, requesterOf(request.event, request.requestedBy));
    if (request.onEvent) this.listeners.set(handle.executionArn, request.onEvent);
    this.running.set(handle.executionArn, [handle.executionArn]);
    this.abortWatch?.start();
    const sweep = this.approvalSweepMs > 0 ? setInterval(() => void this.approvals.sweep().catch(() => undefined), this.approvalSweepMs) : undefined;
    sweep?.unref();
    try {
      const outcome = await handle.result;
      const output = outcome.status === "SUCCEEDED" && outcome.output !== null && typeof outcome.output === "object" && !Array.isArray(outcome.output) ? outcome.output : undefined;
      const incidentId = this.incidentOf.get(handle.executionArn) ?? (typeof output?.incidentId === "string" ? output.incidentId : undefined);
      let reportLocation = incidentId ? this.reports.get(incidentId) : undefined;
      // Stopped before post-incident closed the incident it opened (not one it joined): closed here, so it never stays open.
      if (incidentId && outcome.status !== "SUCCEEDED" && reportLocation === undefined && !this.joined.has(handle.executionArn)) {
        reportLocation = await this.closeStopped(handle.executionArn, incidentId, outcome);
      }
      // Failed before any incident opened: the event was refused (DetectionFailed, or an input the
      // machine could not even carry, such as a string, whose Catch fails States.ResultPathMatchFailure).
      const refused = outcome.status === "FAILED" && !incidentId;
      if (refused) {
        await this.refusals.record(refusalOf({ event: request.event, runbookId: request.runbookId, executionArn: handle.executionArn, error: outcome.error, cause: outcome.cause, at: this.clock.now() }));
      }
      return { ...(incidentId ? { incidentId } : {}), outcome, status: refused ? "detection-failed" : statusOf(outcome, output), executionArn: handle.executionArn, ...(reportLocation ? { reportLocation } : {}) };
    } finally {
      if (sweep) {
        clearInterval(sweep);
        // Once more at the end: an approval whose wait ran out during the run is audited as expired
        // before the run returns, however fast its last phases went.
        await this.approvals.sweep().catch(() => undefined);
      }
      // A wait the engine ended (its timeout) is audited as expired before the run returns too, not
      // only at the desk's next poll tick: the run's last phases may end sooner than that.
      await this.approvals.poll?.().catch(() => undefined);
      // Each execution's history digest is in the log before the run returns (failures are logged, not thrown).
      await Promise.all(this.archiving.get(handle.executionArn) ?? []);
      this.archiving.delete(handle.executionArn);
      this.requesters.delete(handle.executionArn);
      this.listeners.delete(handle.executionArn);
      // Normally gone with each execution's end; not kept when a store failed before that end was handled.
      for (const arn of this.running.get(handle.executionArn) ?? []) this.lineage.delete(arn);
      this.running.delete(handle.executionArn);
      this.joined.delete(handle.executionArn);
      if (this.running.size === 0) this.abortWatch?.stop();
    }
  }

  /**
   * Stops running executions of this runner's incidents (AWS StopExecution), each with a cause
   * naming who and why. An incident machine's phases are stopped before it (else they would carry
   * "the parent execution's task stopped"); each incident's log says who stopped what ahead of the
   * executions' ends. Settles, with the ARNs stopped, once those ends are stored.
   */
  async abort(order: AbortOrder): Promise<string[]> {
    const wanted = order.executionArns ? new Set(order.executionArns) : undefined;
    const stopping: { readonly arn: string; readonly handle: ExecutionHandle }[] = [];
    const perIncident = new Map<string, string[]>();
    for (const [root, family] of this.running) {
      const whole = !wanted || wanted.has(root);
      // The latest started first: a phase before the incident machine waiting on it.
      for (const arn of [...family].reverse()) {
        if (!whole && !wanted.has(arn)) continue;
        const running = this.engine.running(arn);
        if (!running) continue;
        stopping.push({ arn, handle: running });
        const incidentId = this.incidentOf.get(root);
        if (incidentId) perIncident.set(incidentId, [...(perIncident.get(incidentId) ?? []), arn]);
      }
    }
    const at = this.clock.now().toISOString();
    // Runs `work` at once; a synchronous throw (a store that fails) becomes a rejection, so the stops
    // that abort.applied announces still happen, and the error is reported after them.
    const attempt = <T>(work: () => T | Promise<T>): Promise<T> => {
      try {
        return Promise.resolve(work());
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    };
    // Queued before the stops, so the log has the order before the phases' ends.
    const audited = [...perIncident].map(([incidentId, executionArns]) =>
      attempt(() => this.records.append(incidentId, { kind: ABORT_KIND.applied, actor: ABORT_ACTOR, at, body: { requestedBy: order.by, reason: order.reason, executionArns, ...(order.requestId ? { requestId: order.requestId } : {}) } })),
    );
    // Before the stops: the desk would otherwise audit their closed approval waits as expired.
    // Its entries (withdrawn, by whom and why) are queued here too, behind abort.applied.
    const withdrawn = attempt(() => this.approvals.withdraw?.(stopping.map(({ arn }) => arn), { by: order.by, reason: order.reason }));
    const cause = abortCause(order.by, order.reason);
    for (const { handle } of stopping) handle.abort(cause);
    // Every stop's end is stored before a failure is reported: the request is then given back with
    // its executions already ended, which `irflow abort` reads as stopped.
    const settled = await Promise.allSettled([...audited, withdrawn, ...stopping.map(({ handle }) => handle.result)]);
    const failed = settled.find((result): result is PromiseRejectedResult => result.status === "rejected");
    if (failed) throw failed.reason;
    return stopping.map(({ arn }) => arn);
  }

  /** The incident execution an execution belongs to (itself for the incident machine). */
  private rootOf(executionArn: string): string {
    const known = this.lineage.get(executionArn);
    if (known) return known.root;
    let arn = executionArn;
    for (let depth = 0; depth < 8; depth += 1) {
      const parent = this.engine.describeExecution(arn)?.parentExecutionId;
      if (!parent) return arn;
      arn = parent;
    }
    return arn;
  }

  /** Where an execution belongs; undefined for one this engine never started. */
  private lineageOf(executionArn: string): Lineage | undefined {
    const known = this.lineage.get(executionArn);
    if (known) return known;
    const description = this.engine.describeExecution(executionArn);
    return description && { root: this.rootOf(executionArn), machineKey: description.machineKey, name: description.name };
  }

  private observe(executionArn: string, event: HistoryEvent, lineage: Lineage | undefined): void {
    const listener = lineage && this.listeners.get(lineage.root);
    if (listener) {
      try {
        listener({ executionArn, machineKey: lineage.machineKey, event });
      } catch {
        // A progress display must not break the run.
      }
    }
  }

  /** What follows a stored event: the progress listener, and the audit of a phase's start or end. */
  private afterAppend(executionArn: string, event: HistoryEvent): Promise<void> | undefined {
    const lineage = this.lineageOf(executionArn);
    if (event.type === "ExecutionStarted") {
      if (lineage) this.lineage.set(executionArn, lineage);
      const family = this.running.size > 0 ? this.running.get(lineage?.root ?? executionArn) : undefined;
      if (family && !family.includes(executionArn)) family.push(executionArn);
    }
    const terminal = TERMINAL_STATUS.get(event.type);
    if (terminal !== undefined) this.lineage.delete(executionArn);
    if (terminal !== undefined && lineage) this.archiveHistory(executionArn, lineage, terminal);
    this.observe(executionArn, event, lineage);
    if (event.type !== "ExecutionStarted" && terminal === undefined) return undefined;
    return lineage && this.auditPhase(executionArn, event, lineage, terminal);
  }

  /** The incident a phase execution belongs to: named `<incidentId>-<phase>`, or detect, the one its run opened. */
  private incidentOfPhase(lineage: Lineage): string | undefined {
    const phase = lineage.machineKey.split("/")[1] ?? "";
    const named = phaseExecutionName(lineage.name);
    // Detect runs before there is an incident id to name it by: it belongs to the incident its run opened.
    return named?.phase === phase ? named.incidentId : phase === "detect" ? this.incidentOf.get(lineage.root) : undefined;
  }

  /**
   * Once an execution's history is stored whole, its digest goes into its incident's log as
   * `execution.archived`, as the AWS archiver's does with the S3 object it writes: the history is
   * outside the hash chain, and this is what lets `irflow verify` prove it unchanged. `runIncident`
   * waits for these before it returns.
   */
  private archiveHistory(executionArn: string, lineage: Lineage, status: Outcome["status"]): void {
    const digestOf = this.historyDigest;
    const incidentId = lineage.root === executionArn ? this.incidentOf.get(executionArn) : this.incidentOfPhase(lineage);
    if (!digestOf || !incidentId) return;
    const archived = (async () => {
      await this.historyWriter.drained?.(executionArn);
      const digest = digestOf(executionArn);
      if (!digest) return;
      await this.records.append(incidentId, archivedEntry(executionArn, status, digest, this.clock.now().toISOString()));
    })().catch((error: unknown) => {
      this.logs.push({ level: "error", task: "irflow.archive", stepId: "", message: `could not record the digest of ${executionArn}'s history: ${String(error)}` });
    });
    const pending = this.archiving.get(lineage.root);
    if (pending) pending.push(archived);
    else this.archiving.set(lineage.root, [archived]);
  }

  /** Phase executions (named `<incidentId>-<phase>`) into their incident's audit log; a succeeded phase is a milestone. */
  private auditPhase(executionArn: string, event: HistoryEvent, lineage: Lineage, status: Outcome["status"] | undefined): Promise<void> | undefined {
    const phase = lineage.machineKey.split("/")[1] ?? "";
    const incidentId = this.incidentOfPhase(lineage);
    if (!incidentId) return undefined;
    const facts = { phase, machineKey: lineage.machineKey, executionArn, name: lineage.name };
    // No end status: the phase's ExecutionStarted.
    if (status === undefined) return this.records.append(incidentId, auditEntry(KIND.phaseStarted, "system:step-functions", event.timestamp, facts));
    const details = event.details as { error?: unknown; cause?: unknown };
    const failure = { ...(typeof details.error === "string" ? { error: details.error } : {}), ...(typeof details.cause === "string" ? { cause: details.cause } : {}) };
    const ended = this.records.append(incidentId, auditEntry(KIND.phaseEnded, "system:step-functions", event.timestamp, { ...facts, status, ...failure }));
    const milestone = PHASE_MILESTONES[phase];
    if (!milestone || event.type !== "ExecutionSucceeded") return ended;
    // Queued behind the phase's end in the same batch (one commit to wait for, not two), so the chain keeps that order.
    return Promise.all([ended, this.records.addMilestone(incidentId, { name: milestone, at: event.timestamp })]).then(() => undefined);
  }

  private portsFor(task: string, stepId: string, signal: AbortSignal): TaskPorts {
    const log = (level: LogEntry["level"]) => (message: string, fields?: Record<string, unknown>) => void this.logs.push({ level, task, stepId, message, ...(fields ? { fields } : {}) });
    const logger: Logger = { info: log("info"), warn: log("warn"), error: log("error") };
    return { aws: this.aws, clock: this.clock, sleep: this.sleep, log: logger, config: this.config, journal: this.journal, signal };
  }

  private taskFor(name: string): LocalTask | undefined {
    switch (name) {
      case SYSTEM_TASKS.openIncident:
        return (payload, signal) => this.openIncident(payload, signal);
      case SYSTEM_TASKS.requestApproval:
        return (payload) => this.requestApproval(payload);
      case SYSTEM_TASKS.recordFailure:
        return (payload) => this.recordFailure(payload);
      case SYSTEM_TASKS.closeIncident:
        return (payload) => this.closeIncident(payload);
    }
    const task = findImplementation(name);
    if (!task) return undefined;
    return (payload, signal) => executeTask(task, payload, this.portsFor(name, stepIdOf(payload), signal));
  }

  private readonly openIncidentTask = createOpenIncident({ openOrJoin: (request) => this.incidents.openOrJoin(request) });

  private async openIncident(payload: unknown, signal: AbortSignal): Promise<unknown> {
    const output = await executeTask(this.openIncidentTask, payload, this.portsFor(SYSTEM_TASKS.openIncident, "detect/open-incident", signal));
    const incidentId = "incidentId" in output && typeof output.incidentId === "string" ? output.incidentId : undefined;
    const executionId = envelopeOf(payload, SYSTEM_TASKS.openIncident).context.executionId;
    if (incidentId) {
      this.incidentOf.set(this.rootOf(executionId), incidentId);
      if ((output as { duplicate?: unknown }).duplicate === true) this.joined.add(this.rootOf(executionId));
      await this.historyWriter.linkIncident?.(this.rootOf(executionId), incidentId);
      await this.auditOpened(incidentId, payload, output, this.rootOf(executionId));
    }
    return output;
  }

  private async requestApproval(payload: unknown): Promise<unknown> {
    const request = parseApprovalRequest(payload);
    const root = this.rootOf(request.executionId);
    const policy = this.policies.get(root) ?? "manual";
    // The full plan (every change with before/after) is in the journal the Plan state wrote.
    const details = await Promise.all(
      request.plans.map(async (plan, item) => {
        const key = { incidentId: request.incidentId, stepId: request.stepId, task: request.task };
        // A foreach step's plans are journalled per item; a plain step's without one.
        const record = (await this.journal.find({ ...key, item }, "plan")) ?? (request.plans.length === 1 ? await this.journal.find(key, "plan") : undefined);
        return record?.digest === plan.digest ? record.changes : undefined;
      }),
    );
    return this.approvals.request(request, policy, { requester: this.requesters.get(root) ?? "manual:unknown", details });
  }

  private async recordFailure(payload: unknown): Promise<unknown> {
    const input = inputOf(payload, SYSTEM_TASKS.recordFailure);
    const error = input.error as { Error: string; Cause?: string };
    await this.records.addFailure(String(input.incidentId), { stepId: String(input.stepId), error: error.Error, ...(error.Cause !== undefined ? { cause: error.Cause } : {}), at: this.clock.now().toISOString() });
    return { recorded: true };
  }

  private async closeIncident(payload: unknown): Promise<unknown> {
    const input = inputOf(payload, SYSTEM_TASKS.closeIncident);
    const incidentId = String(input.incidentId);
    const document = input.document as Record<string, unknown>;
    const status = reportStatus(document);
    const { reportLocation } = await closeLocally(this.closePorts(), incidentId, { status, document, actor: LOCAL_ACTOR }, this.clock.now());
    this.reports.set(incidentId, reportLocation);
    return { reportLocation, status };
  }

  /**
   * Closes an incident whose run stopped before post-incident closed it (aborted, timed out, or
   * failed, e.g. DetectionFailed after detect opened it): `incident.closed` as aborted (who, why:
   * the abort.applied entry) or failed (the cause), and its report. The phases' ends come first.
   * A close that fails is logged and leaves the incident open for `irflow incidents close`.
   */
  private async closeStopped(root: string, incidentId: string, outcome: Exclude<Outcome, { status: "SUCCEEDED" }>): Promise<string | undefined> {
    try {
      // A stopped phase's end is written by its own recorder, which may finish after the incident machine's.
      await Promise.all((this.running.get(root) ?? []).flatMap((arn) => this.engine.running(arn)?.result ?? []));
      // A wait the stop closed is audited before the close, not after it.
      await this.approvals.poll?.().catch(() => undefined);
      const record = this.records.get(incidentId);
      const opened = record?.opened?.document ?? {};
      const closure = stoppedClosure(outcome, opened, record?.executions ?? [], lastAbort(this.records.log.entriesNow(incidentId), root));
      const { reportLocation } = await closeLocally(this.closePorts(), incidentId, { ...closure, actor: LOCAL_ACTOR }, this.clock.now());
      this.reports.set(incidentId, reportLocation);
      return reportLocation;
    } catch (error) {
      // Closed all the same when only a report failed (the message says how to render it).
      const message = error instanceof ReportNotWritten ? error.message : `could not close ${incidentId} after its run stopped (irflow incidents close can): ${String(error)}`;
      this.logs.push({ level: "error", task: SYSTEM_TASKS.closeIncident, stepId: "", message });
      return undefined;
    }
  }

  private closePorts(): LocalClosePorts {
    return { records: this.records, incidents: this.incidents, reportsDirectory: this.reportsDirectory };
  }

  /** The incident's first entry: runbook revision, trigger event and the opened document; a duplicate event joins. */
  private async auditOpened(incidentId: string, payload: unknown, output: object, executionArn: string): Promise<void> {
    const envelope = envelopeOf(payload, SYSTEM_TASKS.openIncident);
    const at = this.clock.now().toISOString();
    const document = { ...output } as Record<string, unknown>;
    if (document.duplicate === true) {
      const trigger = document.trigger as { eventId?: unknown } | undefined;
      await this.records.append(incidentId, auditEntry(KIND.incidentJoined, "function:detect.open-incident", at, { executionArn, event: envelope.input.event, ...(typeof trigger?.eventId === "string" ? { eventId: trigger.eventId } : {}) }));
      return;
    }
    const runbook = document.runbook as { id: string; revision: string };
    await this.records.append(incidentId, auditEntry(KIND.incidentOpened, "function:detect.open-incident", at, { runbook: { id: runbook.id, revision: runbook.revision }, executionArn, event: envelope.input.event, document, ...(this.historyDigest ? { historyDigests: true } : {}) }));
    // The detect execution started before the incident existed; its start is recorded now, its end as it comes.
    const detect = this.engine.describeExecution(envelope.context.executionId);
    if (detect && detect.machineKey.endsWith("/detect")) {
      const facts = { phase: "detect", machineKey: detect.machineKey, executionArn: detect.executionArn, name: detect.name };
      await this.records.append(incidentId, auditEntry(KIND.phaseStarted, "system:step-functions", detect.startDate.toISOString(), facts));
    }
    await this.records.addMilestone(incidentId, { name: "detected", at });
  }
}

/** Who stopped the incident execution `root` and why: the latest abort.applied naming it (or, failing that, any). */
function lastAbort(entries: readonly AuditEntry[], root: string): { readonly requestedBy: string; readonly reason: string } | undefined {
  const applied = entries.flatMap((entry) => {
    if (entry.kind !== KIND.abortApplied) return [];
    const body = Bodies[KIND.abortApplied].safeParse(entry.body);
    return body.success ? [body.data] : [];
  });
  return applied.findLast((body) => body.executionArns.includes(root)) ?? applied.at(-1);
}

/** How a stopped incident closes: aborted with who and why, or failed with the cause (the failed phase's, when one failed). */
function stoppedClosure(
  outcome: Exclude<Outcome, { status: "SUCCEEDED" }>,
  opened: Record<string, unknown>,
  executions: readonly RecordedExecution[],
  abort: { readonly requestedBy: string; readonly reason: string } | undefined,
): Omit<LocalClosure, "actor"> {
  if (outcome.status === "ABORTED") {
    return { status: "aborted", document: opened, stopped: { execution: "ABORTED", ...(abort ? { by: abort.requestedBy } : {}), reason: abort?.reason ?? "the incident execution was stopped" } };
  }
  const phase = executions.findLast((execution) => execution.status === "FAILED" && execution.error !== undefined);
  const error = outcome.status === "TIMED_OUT" ? "States.Timeout" : outcome.error;
  const cause = outcome.status === "TIMED_OUT" ? "the incident execution timed out" : outcome.cause || (phase ? `phase ${phase.phase} failed: ${phase.error}${phase.cause ? `: ${phase.cause}` : ""}` : "");
  const failure = { Error: error, ...(cause ? { Cause: cause } : {}) };
  // The reason reads as a sentence (a child's nested JSON down to its message); the document keeps the whole cause.
  const why = explainCause(cause);
  return { status: "failed", document: { ...opened, failure }, stopped: { execution: outcome.status, reason: `${error}${why ? `: ${why}` : ""}` } };
}

/** resolved, or failed when the document carries an earlier phase's failure. */
function reportStatus(document: Record<string, unknown>): "resolved" | "failed" {
  const failure = document.failure;
  return failure !== null && failure !== undefined ? "failed" : "resolved";
}

function isLocalAuditLog(audit: unknown): audit is LocalAuditLog {
  return typeof audit === "object" && audit !== null && typeof (audit as { entriesNow?: unknown }).entriesNow === "function";
}

function statusOf(outcome: Outcome, output: Record<string, unknown> | undefined): IncidentRunResult["status"] {
  switch (outcome.status) {
    case "SUCCEEDED":
      return output?.duplicate === true ? "joined" : "resolved";
    case "FAILED":
      return outcome.error === "DetectionFailed" ? "detection-failed" : "failed";
    case "ABORTED":
      return "aborted";
    case "TIMED_OUT":
      return "timed-out";
  }
}

function envelopeOf(payload: unknown, task: string): TaskEnvelope {
  const envelope = TaskEnvelope.safeParse(payload);
  if (!envelope.success) throw new TaskError("InvalidInput", `${task}: malformed payload: ${formatIssues(envelope.error.issues)}`);
  if (envelope.data.context.task !== task) throw new TaskError("InvalidInput", `this function runs ${task}, not ${envelope.data.context.task}`);
  return envelope.data;
}

/** The validated input of a system task that has no library implementation. */
function inputOf(payload: unknown, task: string): Record<string, unknown> {
  const envelope = envelopeOf(payload, task);
  const contract = findTask(task);
  if (!contract) throw new Error(`no contract for ${task}`);
  const present = Object.fromEntries(Object.entries(envelope.input).filter(([, value]) => value !== null));
  const parsed = contract.input.safeParse(present);
  if (!parsed.success) throw new TaskError("InvalidInput", `${task}: ${formatIssues(parsed.error.issues)}`);
  return parsed.data;
}

/** The step id for log lines only: executeTask validates the envelope itself, so it is not parsed twice. */
function stepIdOf(payload: unknown): string {
  const context = typeof payload === "object" && payload !== null ? (payload as { context?: unknown }).context : undefined;
  const stepId = typeof context === "object" && context !== null ? (context as { stepId?: unknown }).stepId : undefined;
  return typeof stepId === "string" ? stepId : "";
}
