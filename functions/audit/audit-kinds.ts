import * as z from "zod";
import { Change, Evidence, Undo } from "../contract/changes.js";
import type { StepRecord } from "../runtime/step-journal.js";
import type { AuditEntryInput } from "./audit-port.js";
import { isJsonData } from "./canonical-json.js";

/**
 * The entry kinds the incident record is projected from, and their bodies. Approval kinds are
 * written by the approval desk; the projection reads them leniently (see incident-record.ts).
 */
export const KIND = {
  incidentOpened: "incident.opened",
  incidentJoined: "incident.joined",
  phaseStarted: "phase.started",
  phaseEnded: "phase.ended",
  milestone: "milestone.reached",
  stepPlanned: "step.planned",
  stepRan: "step.ran",
  stepFailed: "step.failed",
  approvalRequested: "approval.requested",
  approvalApproved: "approval.approved",
  approvalRejected: "approval.rejected",
  approvalRefused: "approval.refused",
  approvalExpired: "approval.expired",
  /** Closed unanswered because the incident was aborted; the body says by whom and why. */
  approvalWithdrawn: "approval.withdrawn",
  approvalReminded: "approval.reminded",
  incidentClosed: "incident.closed",
  reportWritten: "report.written",
  executionArchived: "execution.archived",
  abortRequested: "abort.requested",
  abortApplied: "abort.applied",
} as const;

export const PHASES = ["detect", "contain", "eradicate", "recover", "post-incident"] as const;
export type Phase = (typeof PHASES)[number];

export const MilestoneName = z.enum(["detected", "contained", "eradicated", "recovered", "closed"]);
export type MilestoneName = z.infer<typeof MilestoneName>;

/** How an incident ended: post-incident closed it (resolved, failed), or its run stopped first (aborted, failed). */
export const ClosedStatus = z.enum(["resolved", "failed", "aborted"]);
export type ClosedStatus = z.infer<typeof ClosedStatus>;

export const StepRecordBody = z.object({
  task: z.string(),
  mode: z.enum(["plan", "run"]),
  at: z.string(),
  executionId: z.string(),
  summary: z.string(),
  changes: z.array(Change),
  evidence: z.array(Evidence),
  undo: Undo.optional(),
  digest: z.string().optional(),
  output: z.record(z.string(), z.unknown()).optional(),
});

export const Bodies = {
  [KIND.incidentOpened]: z.object({
    runbook: z.object({ id: z.string(), revision: z.string(), file: z.string().optional() }),
    executionArn: z.string().optional(),
    /** The triggering event as delivered. */
    event: z.unknown().optional(),
    /** The incident document as detect opened it (trigger, resource, severity, …). */
    document: z.record(z.string(), z.unknown()),
    /**
     * The run logs each of the incident's executions' history digest (`execution.archived`) when it
     * ends: a log that says so must hold one per ended execution, even before its first (a local
     * run on the embedded store says so; absent in logs from before it did).
     */
    historyDigests: z.literal(true).optional(),
  }),
  [KIND.incidentJoined]: z.object({ executionArn: z.string().optional(), eventId: z.string().optional(), event: z.unknown().optional() }),
  [KIND.phaseStarted]: z.object({ phase: z.string(), machineKey: z.string(), executionArn: z.string(), name: z.string() }),
  [KIND.phaseEnded]: z.object({ phase: z.string(), machineKey: z.string(), executionArn: z.string(), name: z.string(), status: z.string(), error: z.string().optional(), cause: z.string().optional() }),
  [KIND.milestone]: z.object({ name: MilestoneName }),
  [KIND.stepPlanned]: z.object({ stepId: z.string(), item: z.number().int().optional(), record: StepRecordBody }),
  [KIND.stepRan]: z.object({ stepId: z.string(), item: z.number().int().optional(), record: StepRecordBody }),
  [KIND.stepFailed]: z.object({ stepId: z.string(), error: z.string(), cause: z.string().optional() }),
  [KIND.incidentClosed]: z.object({
    status: ClosedStatus,
    document: z.record(z.string(), z.unknown()),
    /**
     * Set when something other than the post-incident phase closed the incident: how the incident
     * execution ended (ABORTED, FAILED, TIMED_OUT; RUNNING when its process died), who stopped it
     * and why (an abort), or the cause (a failure).
     */
    stopped: z.object({ execution: z.enum(["ABORTED", "FAILED", "TIMED_OUT", "RUNNING"]), by: z.string().optional(), reason: z.string() }).optional(),
  }),
  [KIND.reportWritten]: z.object({ location: z.string(), format: z.string(), sha256: z.string(), sizeBytes: z.number().int(), coversSeq: z.number().int() }),
  [KIND.executionArchived]: z.object({ executionArn: z.string(), status: z.string(), location: z.string(), events: z.number().int(), sha256: z.string(), sizeBytes: z.number().int() }),
  /** A responder asked to stop the incident's running executions (`irflow abort`); the actor is who asked. */
  [KIND.abortRequested]: z.object({ requestId: z.string(), executionArns: z.array(z.string()), reason: z.string() }),
  /** The running process stopped them (for a request, or on Ctrl-C). */
  [KIND.abortApplied]: z.object({ requestedBy: z.string(), reason: z.string(), executionArns: z.array(z.string()), requestId: z.string().optional() }),
} as const;

type BodyOf<K extends keyof typeof Bodies> = z.input<(typeof Bodies)[K]>;

/** An entry of one of the kinds above, typed by its body. */
export function auditEntry<K extends keyof typeof Bodies>(kind: K, actor: string, at: string, body: BodyOf<K>): AuditEntryInput {
  return { kind, actor, at, body: body };
}

/** The step journal's record as an entry (plans and runs, with changes, evidence and undo). */
export function stepEntry(stepId: string, item: number | undefined, record: StepRecord): AuditEntryInput {
  // Only a record holding more than JSON data (a Date in an output, say) needs the JSON round trip
  // to become what will be stored; appending serialises it either way.
  const json = isJsonData(record) ? record : (JSON.parse(JSON.stringify(record)) as StepRecord);
  const body = { stepId, ...(item !== undefined ? { item } : {}), record: json as z.input<typeof StepRecordBody> };
  return auditEntry(record.mode === "plan" ? KIND.stepPlanned : KIND.stepRan, `function:${record.task}`, record.at, body);
}

/** `<incidentId>-<phase>`, the name every phase execution gets, back into its parts. */
export function phaseExecutionName(name: string): { incidentId: string; phase: Phase } | undefined {
  for (const phase of PHASES) {
    const suffix = `-${phase}`;
    if (name.endsWith(suffix) && name.length > suffix.length) return { incidentId: name.slice(0, -suffix.length), phase };
  }
  return undefined;
}
