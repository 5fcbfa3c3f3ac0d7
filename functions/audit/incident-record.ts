import type * as z from "zod";
import type { StepRecord } from "../runtime/step-journal.js";
import { GENESIS_HASH, type AuditEntry } from "./audit-entry.js";
import { explainCause } from "./report/explain-cause.js";
import { authoritiesOf, authorityText, type Authority } from "../approval/authority-text.js";
import { withdrawalText, type LateAnswerText } from "../approval/withdrawal-text.js";
import { Bodies, KIND, type ClosedStatus, type MilestoneName } from "./audit-kinds.js";

export type { MilestoneName } from "./audit-kinds.js";

export interface Milestone {
  readonly name: MilestoneName;
  readonly at: string;
  readonly seq: number;
}

export interface RecordedFailure {
  readonly stepId: string;
  readonly error: string;
  readonly cause?: string;
  readonly at: string;
  readonly seq: number;
}

export interface RecordedStep {
  readonly stepId: string;
  readonly item?: number;
  readonly record: StepRecord;
  readonly seq: number;
}

export interface RecordedApproval {
  readonly approval: {
    readonly id: string;
    readonly stepId: string;
    readonly task?: string;
    readonly stepTitle?: string;
    readonly requestedAt?: string;
    readonly deadline?: string;
    readonly approvers: readonly string[];
    readonly requiredApprovals?: number;
    /** The plan digests the request carried and the approvers confirmed. */
    readonly planDigests: readonly string[];
  };
  readonly decision?: {
    readonly decision: "approved" | "rejected" | "expired" | "withdrawn";
    readonly by: readonly string[];
    readonly reason: string;
    readonly decidedAt: string;
    /** Withdrawn: the answer that had decided it, too late to reach the workflow (the abort came first). */
    readonly lateAnswer?: LateAnswerText;
    /** Approved or rejected: each answer's approver principals and what vouched for them (absent in older logs). */
    readonly authority?: readonly Authority[];
    /** Expired: what the step did then (`proceed` ran it anyway; absent in older logs). */
    readonly onTimeout?: "abort" | "escalate" | "proceed";
  };
  /** Answers that were refused (wrong approver, the requester, a stale digest, …). */
  readonly refusals: readonly { readonly at: string; readonly by: string; readonly reason: string }[];
  readonly reminders: number;
}

export interface RecordedExecution {
  readonly phase: string;
  readonly machineKey: string;
  readonly executionArn: string;
  readonly name: string;
  readonly startedAt: string;
  readonly endedAt?: string;
  readonly status?: string;
  readonly error?: string;
  readonly cause?: string;
}

export interface TimelineItem {
  readonly seq: number;
  readonly at: string;
  readonly kind: string;
  readonly actor: string;
  readonly phase?: string;
  readonly what: string;
}

/**
 * One incident as its audit log proves it (DESIGN.md §7): computed from the entries, never kept
 * beside them, so a report rendered from it says exactly what the chain holds.
 */
export interface IncidentRecord {
  readonly incidentId: string;
  readonly opened?: {
    readonly at: string;
    readonly actor: string;
    readonly runbook: { readonly id: string; readonly revision: string; readonly file?: string };
    readonly executionArn?: string;
    readonly event?: unknown;
    readonly document: Record<string, unknown>;
  };
  readonly joins: readonly { readonly at: string; readonly executionArn?: string; readonly eventId?: string }[];
  readonly executions: readonly RecordedExecution[];
  readonly milestones: readonly Milestone[];
  /** Every plan and run, in order: the journal keeps the first run and the latest plan, and so does this. */
  readonly steps: readonly RecordedStep[];
  readonly failures: readonly RecordedFailure[];
  readonly approvals: readonly RecordedApproval[];
  readonly closed?: {
    readonly at: string;
    readonly actor: string;
    readonly status: ClosedStatus;
    readonly document: Record<string, unknown>;
    /** Closed by other than post-incident: how the incident execution ended, who stopped it and why. */
    readonly stopped?: { readonly execution: "ABORTED" | "FAILED" | "TIMED_OUT" | "RUNNING"; readonly by?: string; readonly reason: string };
  };
  readonly reports: readonly { readonly at: string; readonly location: string; readonly format: string; readonly sha256: string; readonly sizeBytes: number; readonly coversSeq: number }[];
  readonly archives: readonly { readonly at: string; readonly executionArn: string; readonly status: string; readonly location: string; readonly events: number; readonly sha256: string }[];
  readonly timeline: readonly TimelineItem[];
  /** Entries whose body this version cannot read: listed, never dropped silently. */
  readonly unreadable: readonly { readonly seq: number; readonly kind: string; readonly message: string }[];
  readonly entries: number;
  readonly headHash: string;
}

/** Whether a decision kept its step from running: a rejection, a withdrawal, or an expiry that did not let it proceed. */
export const keptFromRunning = (decision: RecordedApproval["decision"]): decision is NonNullable<RecordedApproval["decision"]> & { decision: "rejected" | "expired" | "withdrawn" } =>
  decision !== undefined && decision.decision !== "approved" && !(decision.decision === "expired" && decision.onTimeout === "proceed");

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : typeof value === "string" ? [value] : []);
const text = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);
const onTimeoutOf = (value: unknown): "abort" | "escalate" | "proceed" | undefined => (value === "abort" || value === "escalate" || value === "proceed" ? value : undefined);

/** The answer an approval.withdrawn entry says came too late, read leniently like the rest of the body. */
function lateAnswerOf(value: unknown): LateAnswerText | undefined {
  if (value === null || typeof value !== "object") return undefined;
  const { decision, by } = value as { decision?: unknown; by?: unknown };
  return (decision === "approved" || decision === "rejected") && typeof by === "string" ? { decision, by } : undefined;
}

const phaseOfStep = (stepId: string): string | undefined => stepId.split("/")[0];
/** A phase's failure cause on one timeline line: the innermost message, cut. */
const causeLine = (cause: string): string => {
  const inner = explainCause(cause);
  return inner.length > 240 ? `${inner.slice(0, 239)}…` : inner;
};

/** "1 execution", "3 executions", "? executions" for a body that could not be read. */
const executionCount = (arns: readonly string[] | undefined): string => (arns === undefined ? "? executions" : `${arns.length} execution${arns.length === 1 ? "" : "s"}`);

/** "resolved"; "aborted by alice: wrong host"; "failed (the incident execution ended FAILED): DetectionFailed: …". */
function closedText(body: z.output<(typeof Bodies)[typeof KIND.incidentClosed]>): string {
  const { status, stopped } = body;
  if (!stopped) return status;
  if (status === "aborted") return `aborted${stopped.by ? ` by ${stopped.by}` : ""}: ${stopped.reason}`;
  return `${status} (the incident execution ended ${stopped.execution} before post-incident closed it): ${stopped.reason}`;
}

/** The projection: entries in chain order → the record. Pure; unknown kinds only reach the timeline. */
export function projectRecord(incidentId: string, entries: readonly AuditEntry[]): IncidentRecord {
  let opened: IncidentRecord["opened"];
  let closed: IncidentRecord["closed"];
  const joins: IncidentRecord["joins"][number][] = [];
  const executions = new Map<string, RecordedExecution>();
  const milestones: Milestone[] = [];
  const steps: RecordedStep[] = [];
  const failures: RecordedFailure[] = [];
  const approvals = new Map<string, { approval: RecordedApproval["approval"]; decision?: RecordedApproval["decision"]; refusals: RecordedApproval["refusals"][number][]; reminders: number }>();
  const reports: IncidentRecord["reports"][number][] = [];
  const archives: IncidentRecord["archives"][number][] = [];
  const timeline: TimelineItem[] = [];
  const unreadable: IncidentRecord["unreadable"][number][] = [];

  const read = <K extends keyof typeof Bodies>(entry: AuditEntry, kind: K): z.output<(typeof Bodies)[K]> | undefined => {
    const parsed = Bodies[kind].safeParse(entry.body);
    if (parsed.success) return parsed.data as z.output<(typeof Bodies)[K]>;
    const issue = parsed.error.issues[0]!;
    unreadable.push({ seq: entry.seq, kind: entry.kind, message: `${issue.path.join(".") || "body"}: ${issue.message}` });
    return undefined;
  };
  const approvalOf = (entry: AuditEntry) => {
    const b = entry.body;
    const id = text(b.approvalId) ?? text(b.id);
    const stepId = text(b.stepId);
    if (!id || !stepId) {
      unreadable.push({ seq: entry.seq, kind: entry.kind, message: "an approval entry needs approvalId and stepId" });
      return undefined;
    }
    const known = approvals.get(id);
    const plans = Array.isArray(b.plans) ? b.plans.flatMap((p: unknown) => strings((p as { digest?: unknown } | null)?.digest)) : [];
    const digests = [...new Set([...(known?.approval.planDigests ?? []), ...strings(b.planDigests), ...strings(b.planDigest), ...strings(b.digest), ...plans])];
    const requested = text(b.requestedAt) ?? (entry.kind === KIND.approvalRequested ? entry.at : undefined);
    const approval: RecordedApproval["approval"] = {
      ...known?.approval,
      id,
      stepId,
      ...(text(b.task) ? { task: text(b.task)! } : {}),
      ...(text(b.stepTitle) ? { stepTitle: text(b.stepTitle)! } : {}),
      ...(known?.approval.requestedAt || requested ? { requestedAt: known?.approval.requestedAt ?? requested! } : {}),
      ...(text(b.deadline) ? { deadline: text(b.deadline)! } : {}),
      approvers: known?.approval.approvers.length ? known.approval.approvers : entry.kind === KIND.approvalRequested ? strings(b.approvers) : [],
      ...(typeof b.requiredApprovals === "number" ? { requiredApprovals: b.requiredApprovals } : {}),
      planDigests: digests,
    };
    const record = { refusals: [], reminders: 0, ...known, approval };
    approvals.set(id, record);
    return record;
  };

  for (const entry of entries) {
    let phase: string | undefined;
    let what = entry.kind;
    switch (entry.kind) {
      case KIND.incidentOpened: {
        const b = read(entry, KIND.incidentOpened);
        if (b) {
          opened ??= { at: entry.at, actor: entry.actor, runbook: b.runbook, ...(b.executionArn ? { executionArn: b.executionArn } : {}), ...(b.event !== undefined ? { event: b.event } : {}), document: b.document };
          what = `incident opened by runbook ${b.runbook.id} (revision ${b.runbook.revision.slice(0, 12)})`;
        }
        phase = "detect";
        break;
      }
      case KIND.incidentJoined: {
        const b = read(entry, KIND.incidentJoined);
        if (b) joins.push({ at: entry.at, ...(b.executionArn ? { executionArn: b.executionArn } : {}), ...(b.eventId ? { eventId: b.eventId } : {}) });
        what = `a duplicate event joined the incident${b?.eventId ? ` (${b.eventId})` : ""}`;
        phase = "detect";
        break;
      }
      case KIND.phaseStarted: {
        const b = read(entry, KIND.phaseStarted);
        if (b) executions.set(b.executionArn, { phase: b.phase, machineKey: b.machineKey, executionArn: b.executionArn, name: b.name, startedAt: entry.at });
        phase = b?.phase;
        what = `phase ${b?.phase ?? "?"} started`;
        break;
      }
      case KIND.phaseEnded: {
        const b = read(entry, KIND.phaseEnded);
        if (b) {
          const known = executions.get(b.executionArn);
          executions.set(b.executionArn, { ...(known ?? { phase: b.phase, machineKey: b.machineKey, executionArn: b.executionArn, name: b.name, startedAt: entry.at }), endedAt: entry.at, status: b.status, ...(b.error ? { error: b.error } : {}), ...(b.cause ? { cause: b.cause } : {}) });
        }
        phase = b?.phase;
        // A failure's cause is kept (a States.Runtime error says which path did not resolve), unwrapped from a child execution's JSON.
        what = `phase ${b?.phase ?? "?"} ${b?.status.toLowerCase() ?? "ended"}${b?.error ? ` (${b.error}${b.cause && b.status === "FAILED" ? `: ${causeLine(b.cause)}` : ""})` : ""}`;
        break;
      }
      case KIND.milestone: {
        const b = read(entry, KIND.milestone);
        // A milestone is reached once (a retried phase does not reach it twice).
        if (b && !milestones.some((m) => m.name === b.name)) milestones.push({ name: b.name, at: entry.at, seq: entry.seq });
        what = `milestone: ${b?.name ?? "?"}`;
        break;
      }
      case KIND.stepPlanned:
      case KIND.stepRan: {
        const b = read(entry, entry.kind);
        if (b) {
          const step: RecordedStep = { stepId: b.stepId, ...(b.item !== undefined ? { item: b.item } : {}), record: b.record, seq: entry.seq };
          const index = steps.findIndex((s) => s.stepId === step.stepId && s.item === step.item && s.record.mode === step.record.mode && s.record.task === step.record.task);
          if (index === -1) steps.push(step);
          else if (step.record.mode === "plan") steps[index] = step;
          phase = phaseOfStep(b.stepId);
          const label = `${b.stepId}${b.item !== undefined ? `[${b.item}]` : ""}`;
          what = `${b.record.mode === "plan" ? "planned" : "ran"} ${label}: ${b.record.summary}`;
        }
        break;
      }
      case KIND.stepFailed: {
        const b = read(entry, KIND.stepFailed);
        if (b) failures.push({ stepId: b.stepId, error: b.error, ...(b.cause !== undefined ? { cause: b.cause } : {}), at: entry.at, seq: entry.seq });
        phase = b ? phaseOfStep(b.stepId) : undefined;
        // A step its approval stopped fails in the workflow (Rejected, States.Timeout), yet its action never ran.
        const stopped = b ? [...approvals.values()].findLast((a) => a.approval.stepId === b.stepId)?.decision : undefined;
        if (b && keptFromRunning(stopped)) what = `${b.stepId} did not run: its approval ${stopped.decision === "expired" ? "expired" : `was ${stopped.decision}`} (${b.error})`;
        else what = `${b?.stepId ?? "a step"} failed: ${b?.error ?? "?"}`;
        break;
      }
      case KIND.approvalRequested:
      case KIND.approvalReminded: {
        const a = approvalOf(entry);
        if (a && entry.kind === KIND.approvalReminded) a.reminders += 1;
        phase = a ? phaseOfStep(a.approval.stepId) : undefined;
        what = `${entry.kind === KIND.approvalRequested ? "approval requested" : "approvers reminded"} for ${a?.approval.stepId ?? "?"}`;
        break;
      }
      case KIND.approvalApproved:
      case KIND.approvalRejected:
      case KIND.approvalExpired:
      case KIND.approvalWithdrawn: {
        const a = approvalOf(entry);
        const decision = entry.kind === KIND.approvalApproved ? "approved" : entry.kind === KIND.approvalRejected ? "rejected" : entry.kind === KIND.approvalWithdrawn ? "withdrawn" : "expired";
        const by = strings(entry.body.by).length > 0 ? strings(entry.body.by) : strings(entry.body.approvers).length > 0 && decision !== "expired" ? strings(entry.body.approvers) : [entry.actor];
        const reason = text(entry.body.reason) ?? text(entry.body.comment) ?? "";
        const lateAnswer = decision === "withdrawn" ? lateAnswerOf(entry.body.answer) : undefined;
        const authority = authoritiesOf(entry.body.authority);
        const onTimeout = decision === "expired" ? onTimeoutOf(entry.body.onTimeout) : undefined;
        // The first decision stands (an answer is single use), except an answer the abort kept from
        // the workflow: the withdrawal that says so replaces it.
        if (a && (!a.decision || (lateAnswer !== undefined && a.decision.decision === lateAnswer.decision))) {
          a.decision = { decision, by, reason, decidedAt: text(entry.body.decidedAt) ?? entry.at, ...(lateAnswer ? { lateAnswer } : {}), ...(authority.length > 0 ? { authority } : {}), ...(onTimeout ? { onTimeout } : {}) };
        }
        phase = a ? phaseOfStep(a.approval.stepId) : undefined;
        // Withdrawn: `by` aborted the incident; an answer, if any, never reached the workflow.
        if (decision === "withdrawn") what = `${a?.approval.stepId ?? "?"} withdrawn: ${withdrawalText(by.join(", "), reason, lateAnswer)}`;
        else what = `${a?.approval.stepId ?? "?"} ${decision}${decision === "expired" ? "" : ` by ${authority.length > 0 ? authority.map(authorityText).join(", ") : by.join(", ")}`}${reason ? `: ${reason}` : ""}`;
        break;
      }
      case KIND.approvalRefused: {
        const a = approvalOf(entry);
        const reason = text(entry.body.reason) ?? text(entry.body.refusal) ?? "";
        a?.refusals.push({ at: entry.at, by: text(entry.body.by) ?? strings(entry.body.by)[0] ?? entry.actor, reason });
        phase = a ? phaseOfStep(a.approval.stepId) : undefined;
        what = `an answer for ${a?.approval.stepId ?? "?"} was refused: ${reason}`;
        break;
      }
      case KIND.incidentClosed: {
        const b = read(entry, KIND.incidentClosed);
        if (b) closed ??= { at: entry.at, actor: entry.actor, status: b.status, document: b.document, ...(b.stopped ? { stopped: b.stopped } : {}) };
        // Post-incident's own close; a run that stopped first (aborted, killed) is closed outside any phase.
        phase = b?.stopped ? undefined : "post-incident";
        what = `incident closed: ${b ? closedText(b) : "?"}`;
        break;
      }
      case KIND.reportWritten: {
        const b = read(entry, KIND.reportWritten);
        if (b) reports.push({ at: entry.at, ...b });
        phase = closed?.stopped ? undefined : "post-incident";
        what = `report written: ${b?.location ?? "?"}`;
        break;
      }
      case KIND.abortRequested: {
        const b = read(entry, KIND.abortRequested);
        what = `abort of ${executionCount(b?.executionArns)} requested: ${b?.reason ?? "?"}`;
        break;
      }
      case KIND.abortApplied: {
        const b = read(entry, KIND.abortApplied);
        what = `${executionCount(b?.executionArns)} aborted, asked by ${b?.requestedBy ?? "?"}: ${b?.reason ?? "?"}`;
        break;
      }
      case KIND.executionArchived: {
        const b = read(entry, KIND.executionArchived);
        if (b) archives.push({ at: entry.at, executionArn: b.executionArn, status: b.status, location: b.location, events: b.events, sha256: b.sha256 });
        what = `execution history archived: ${b?.location ?? "?"} (${b?.events ?? "?"} events)`;
        break;
      }
    }
    timeline.push({ seq: entry.seq, at: entry.at, kind: entry.kind, actor: entry.actor, ...(phase ? { phase } : {}), what });
  }

  return {
    incidentId,
    ...(opened ? { opened } : {}),
    joins,
    executions: [...executions.values()],
    milestones,
    steps,
    failures,
    approvals: [...approvals.values()].map((a) => ({ approval: a.approval, ...(a.decision ? { decision: a.decision } : {}), refusals: a.refusals, reminders: a.reminders })),
    ...(closed ? { closed } : {}),
    reports,
    archives,
    timeline,
    unreadable,
    entries: entries.length,
    headHash: entries.at(-1)?.hash ?? GENESIS_HASH,
  };
}

/*
 * Single facts of the projection, read from the entries without projecting the whole record: each
 * answers exactly as `projectRecord(…)` would (the same bodies count as readable).
 */

/** The milestones reached (`projectRecord(…).milestones`' names); entries may also be inputs not yet appended. */
export function reachedMilestones(entries: readonly { readonly kind: string; readonly body: Readonly<Record<string, unknown>> }[]): MilestoneName[] {
  const names: MilestoneName[] = [];
  for (const entry of entries) {
    if (entry.kind !== KIND.milestone) continue;
    const parsed = Bodies[KIND.milestone].safeParse(entry.body);
    if (parsed.success && !names.includes(parsed.data.name)) names.push(parsed.data.name);
  }
  return names;
}

/** Whether the log holds a readable close (`projectRecord(…).closed` is set). */
export const isClosedIn = (entries: readonly AuditEntry[]): boolean => entries.some((entry) => entry.kind === KIND.incidentClosed && Bodies[KIND.incidentClosed].safeParse(entry.body).success);
