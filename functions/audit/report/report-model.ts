import * as z from "zod";
import { authorityText } from "../../approval/authority-text.js";
import type { Change, Undo } from "../../contract/changes.js";
import type { CsfTag } from "../../contract/task-contract.js";
import { keptFromRunning, type IncidentRecord, type TimelineItem } from "../incident-record.js";
import { withdrawalText } from "../../approval/withdrawal-text.js";
import { CSF_NAMES, csfOf } from "./csf.js";
import { explainCause, formatDuration } from "./explain-cause.js";
import { timelineInTimeOrder } from "./timeline-in-time-order.js";

/** The parts of the incident document a report reads; anything missing is reported as unknown. */
const ReportDocument = z.looseObject({
  runbook: z.object({ id: z.string(), revision: z.string() }).optional(),
  openedAt: z.string().optional(),
  severity: z.object({ label: z.string(), score: z.number() }).optional(),
  trigger: z.record(z.string(), z.unknown()).optional(),
  resource: z.record(z.string(), z.unknown()).optional(),
  actor: z.record(z.string(), z.unknown()).nullable().optional(),
  network: z.record(z.string(), z.unknown()).nullable().optional(),
  failure: z.object({ Error: z.string(), Cause: z.string().optional() }).nullable().optional(),
});

export type ReportStatus = "resolved" | "failed" | "aborted" | "open";

export interface Fact {
  readonly name: string;
  readonly value: string;
}

export interface Metric {
  readonly name: string;
  /** Human duration, or undefined when a milestone was not reached. */
  readonly value?: string;
  readonly milliseconds?: number;
  readonly basis: string;
}

export interface ReportStep {
  readonly stepId: string;
  readonly item?: number;
  readonly phase: string;
  readonly task: string;
  readonly outcome: "done" | "planned, not run" | "failed" | "rejected" | "expired" | "withdrawn";
  readonly at?: string;
  readonly summary: string;
  readonly csf: readonly CsfTag[];
  readonly changes: readonly Change[];
  readonly undo?: Undo;
  readonly seq?: number;
}

export interface ReportEvidence {
  readonly stepId: string;
  readonly kind: string;
  readonly location: string;
  readonly sha256?: string;
  readonly sizeBytes?: number;
  readonly description: string;
  readonly at: string;
  readonly seq: number;
}

export interface ReportApproval {
  readonly approvalId: string;
  readonly stepId: string;
  readonly decision: string;
  readonly by: readonly string[];
  /** Each answer as `bob as IncidentResponder (claimed with --role)`, when the log says under which authority. */
  readonly authority?: readonly string[];
  readonly reason: string;
  readonly planDigests: readonly string[];
  readonly requestedAt?: string;
  readonly decidedAt?: string;
  readonly wait?: string;
  readonly refusals: readonly { readonly at: string; readonly by: string; readonly reason: string }[];
}

/** Everything a post-incident report shows, format-independent (the json format is this object). */
export interface ReportModel {
  readonly incidentId: string;
  readonly status: ReportStatus;
  readonly outcome: string;
  /** Why the incident failed, from the document's `failure`. */
  readonly failure?: string;
  /** Who aborted the incident and why ("aborted by alice: wrong host"), when it was. */
  readonly aborted?: string;
  readonly runbook: { readonly id: string; readonly revision: string; readonly file?: string };
  readonly openedAt?: string;
  readonly closedAt?: string;
  readonly writtenAt: string;
  readonly severity?: string;
  readonly trigger: readonly Fact[];
  readonly resource: readonly Fact[];
  readonly actor: readonly Fact[];
  readonly network: readonly Fact[];
  readonly chain: { readonly entries: number; readonly headHash: string };
  readonly metrics: readonly Metric[];
  readonly milestones: readonly { readonly name: string; readonly at: string }[];
  readonly phases: readonly { readonly phase: string; readonly status: string; readonly startedAt: string; readonly endedAt?: string; readonly duration?: string; readonly executionArn: string }[];
  readonly steps: readonly ReportStep[];
  readonly csf: readonly { readonly tag: CsfTag; readonly name: string; readonly steps: readonly string[] }[];
  readonly evidence: readonly ReportEvidence[];
  readonly custody: readonly { readonly at: string; readonly what: string; readonly location: string; readonly sha256: string }[];
  readonly approvals: readonly ReportApproval[];
  readonly failures: readonly { readonly stepId: string; readonly error: string; readonly cause: string; readonly at: string }[];
  readonly timeline: readonly TimelineItem[];
  readonly lessons: readonly string[];
  readonly unreadable: readonly string[];
  /** Set when the log failed verification and the report was rendered anyway: where it fails. Such a report is not evidence. */
  readonly failedVerification?: readonly string[];
}

const facts = (value: Record<string, unknown> | null | undefined): Fact[] =>
  value ? Object.entries(value).filter(([, v]) => v !== null && v !== undefined).map(([name, v]) => ({ name, value: typeof v === "string" ? v : JSON.stringify(v) })) : [];
const ms = (from?: string, to?: string): number | undefined => (from && to ? Date.parse(to) - Date.parse(from) : undefined);
const metric = (name: string, basis: string, from?: string, to?: string): Metric => {
  const milliseconds = ms(from, to);
  return milliseconds === undefined || Number.isNaN(milliseconds) ? { name, basis } : { name, value: formatDuration(milliseconds), milliseconds, basis };
};

export interface ReportOptions {
  /** The log failed verification (`entry 12: edited`, …) and the report is rendered anyway: every format says so at the top. */
  readonly failedVerification?: readonly string[];
}

/** The post-incident report's content, from the record alone (the record from the audit log alone). */
export function buildReport(record: IncidentRecord, writtenAt: Date, options: ReportOptions = {}): ReportModel {
  const document = record.closed?.document ?? record.opened?.document ?? {};
  const parsed = ReportDocument.safeParse(document);
  const doc = parsed.success ? parsed.data : {};
  const status: ReportStatus = record.closed ? record.closed.status : "open";
  const failure = doc.failure ? `${doc.failure.Error}: ${explainCause(doc.failure.Cause)}` : undefined;
  const stopped = record.closed?.stopped;
  const aborted = status === "aborted" ? `aborted${stopped?.by ? ` by ${stopped.by}` : ""}${stopped ? `: ${stopped.reason}` : ""}` : undefined;
  const milestone = (name: string) => record.milestones.find((m) => m.name === name)?.at;
  const triggerTime = typeof doc.trigger?.time === "string" ? doc.trigger.time : undefined;
  const detected = milestone("detected");

  const approvals: ReportApproval[] = record.approvals.map(({ approval, decision, refusals }) => {
    const wait = ms(approval.requestedAt, decision?.decidedAt);
    return {
      approvalId: approval.id,
      stepId: approval.stepId,
      decision: decision?.decision ?? "pending",
      by: decision?.by ?? [],
      ...(decision?.authority ? { authority: decision.authority.map(authorityText) } : {}),
      reason: decision?.reason ?? "",
      planDigests: approval.planDigests,
      ...(approval.requestedAt ? { requestedAt: approval.requestedAt } : {}),
      ...(decision ? { decidedAt: decision.decidedAt } : {}),
      ...(wait !== undefined && !Number.isNaN(wait) ? { wait: formatDuration(wait) } : {}),
      refusals,
    };
  });
  const waits = record.approvals.map((a) => ms(a.approval.requestedAt, a.decision?.decidedAt)).filter((w): w is number => w !== undefined && !Number.isNaN(w));
  const metrics: Metric[] = [
    metric("Time to detect", "trigger event → incident opened", triggerTime, detected),
    metric("Time to contain", "incident opened → contain phase succeeded", detected, milestone("contained")),
    metric("Time to eradicate", "incident opened → eradicate phase succeeded", detected, milestone("eradicated")),
    metric("Time to recover", "incident opened → recover phase succeeded", detected, milestone("recovered")),
    metric("Time to close", "incident opened → incident closed", detected, milestone("closed")),
    waits.length > 0
      ? { name: "Approval wait (total)", value: formatDuration(waits.reduce((a, b) => a + b, 0)), milliseconds: waits.reduce((a, b) => a + b, 0), basis: `${waits.length} decided approval${waits.length === 1 ? "" : "s"}, longest ${formatDuration(Math.max(...waits))}` }
      : { name: "Approval wait (total)", basis: "no decided approvals" },
  ];

  const steps = stepsOf(record);
  const csf = (Object.keys(CSF_NAMES) as CsfTag[])
    .map((tag) => ({ tag, name: CSF_NAMES[tag], steps: steps.filter((s) => s.csf.includes(tag)).map((s) => s.stepId) }))
    .filter((row) => row.steps.length > 0)
    .map((row) => ({ ...row, steps: [...new Set(row.steps)] }));
  const evidence: ReportEvidence[] = record.steps
    .filter((s) => s.record.mode === "run")
    .flatMap((s) => s.record.evidence.map((e) => ({ stepId: s.stepId, kind: e.kind, location: e.location, ...(e.sha256 ? { sha256: e.sha256 } : {}), ...(e.sizeBytes !== undefined ? { sizeBytes: e.sizeBytes } : {}), description: e.description, at: s.record.at, seq: s.seq })));
  const failures = record.failures.map((f) => ({ stepId: f.stepId, error: f.error, cause: explainCause(f.cause), at: f.at }));

  return {
    incidentId: record.incidentId,
    status,
    outcome: outcomeOf(status, record.closed, failure, aborted),
    ...(failure ? { failure } : {}),
    ...(aborted ? { aborted } : {}),
    runbook: record.opened?.runbook ?? doc.runbook ?? { id: "unknown", revision: "unknown" },
    ...(record.opened?.at || doc.openedAt ? { openedAt: doc.openedAt ?? record.opened!.at } : {}),
    ...(record.closed ? { closedAt: record.closed.at } : {}),
    writtenAt: writtenAt.toISOString(),
    ...(doc.severity ? { severity: `${doc.severity.label} (${doc.severity.score})` } : {}),
    trigger: facts(doc.trigger),
    resource: facts(doc.resource),
    actor: facts(doc.actor),
    network: facts(doc.network),
    chain: { entries: record.entries, headHash: record.headHash },
    metrics,
    milestones: record.milestones.map((m) => ({ name: m.name, at: m.at })),
    phases: record.executions.map((e) => {
      const d = ms(e.startedAt, e.endedAt);
      return { phase: e.phase, status: e.status ?? "RUNNING", startedAt: e.startedAt, ...(e.endedAt ? { endedAt: e.endedAt } : {}), ...(d !== undefined ? { duration: formatDuration(d) } : {}), executionArn: e.executionArn };
    }),
    steps,
    csf,
    evidence,
    custody: [
      ...evidence.filter((e) => e.sha256).map((e) => ({ at: e.at, what: `${e.kind} recorded by ${e.stepId} (entry ${e.seq})`, location: e.location, sha256: e.sha256! })),
      ...record.archives.map((a) => ({ at: a.at, what: `execution history archived (${a.events} events, ${a.status})`, location: a.location, sha256: a.sha256 })),
      ...record.reports.map((r) => ({ at: r.at, what: `${r.format} report written (covers entries 1–${r.coversSeq})`, location: r.location, sha256: r.sha256 })),
    ],
    approvals,
    failures,
    timeline: timelineInTimeOrder(record.timeline),
    lessons: lessonsOf(record, steps, approvals, metrics),
    unreadable: record.unreadable.map((u) => `entry ${u.seq} (${u.kind}): ${u.message}`),
    ...(options.failedVerification ? { failedVerification: options.failedVerification } : {}),
  };
}

/** The summary sentence: how the incident ended, and who or what closed it when post-incident did not. */
function outcomeOf(status: ReportStatus, closed: IncidentRecord["closed"], failure: string | undefined, aborted: string | undefined): string {
  const stopped = closed?.stopped;
  // Post-incident always runs (DESIGN.md §1) unless the run itself stops: then the closer says so.
  const closer = stopped
    ? ` Its run stopped before the post-incident phase${stopped.execution === "RUNNING" ? " (its process died with the executions still RUNNING)" : ` (the incident execution ended ${stopped.execution})`}; ${closed?.actor ?? "irflow"} closed it and wrote this report.`
    : "";
  switch (status) {
    case "resolved":
      return "Every phase completed.";
    case "aborted":
      return `The incident was ${aborted ?? "aborted"}.${closer}`;
    case "failed":
      return stopped ? `The incident ended FAILED: ${stopped.reason}.${closer}` : `The incident ended FAILED; post-incident still ran.${failure ? ` ${failure}` : ""}`;
    case "open":
      return "The incident is still open: this report is interim.";
  }
}

/** Why a step did not run, as its row says: "rejected by bob: …", "expired", "withdrawn: the incident was aborted by …". */
function decisionSummary(decision: NonNullable<IncidentRecord["approvals"][number]["decision"]>): string {
  const by = decision.by.join(", ");
  if (decision.decision === "rejected") return `rejected by ${by}: ${decision.reason}`;
  if (decision.decision === "withdrawn") return `withdrawn: ${withdrawalText(by, decision.reason, decision.lateAnswer)}`;
  return decision.decision;
}

/** A row its approval's decision kept from running. */
const notRunByDecision = (outcome: ReportStep["outcome"]): boolean => outcome === "rejected" || outcome === "expired" || outcome === "withdrawn";

/** One row per step the incident touched, in the order it was first recorded, each with its CSF tags. */
function stepsOf(record: IncidentRecord): ReportStep[] {
  const rows = new Map<string, ReportStep>();
  const key = (stepId: string, item?: number) => `${stepId}#${item ?? ""}`;
  const phase = (stepId: string) => stepId.split("/")[0] ?? "";
  if (record.opened) rows.set("detect/open-incident", { stepId: "detect/open-incident", phase: "detect", task: "detect.open-incident", outcome: "done", at: record.opened.at, summary: `opened the incident from the ${record.opened.runbook.id} trigger`, csf: csfOf("detect.open-incident"), changes: [] });
  for (const step of record.steps) {
    const k = key(step.stepId, step.item);
    const known = rows.get(k);
    if (known?.outcome === "done") continue;
    const r = step.record;
    rows.set(k, { stepId: step.stepId, ...(step.item !== undefined ? { item: step.item } : {}), phase: phase(step.stepId), task: r.task, outcome: r.mode === "run" ? "done" : "planned, not run", at: r.at, summary: r.summary, csf: csfOf(r.task), changes: r.changes, ...(r.undo ? { undo: r.undo } : {}), seq: step.seq });
  }
  // A step's latest approval decides it (an expiry may have been escalated to a new request), and
  // only its rows that did not run: every item of a foreach shares the one approval.
  const latest = new Map(record.approvals.map((a) => [a.approval.stepId, a]));
  const rowsOf = (stepId: string) => [...rows.keys()].filter((candidate) => candidate.startsWith(`${stepId}#`));
  for (const { approval, decision } of latest.values()) {
    if (!keptFromRunning(decision)) continue;
    const touched = rowsOf(approval.stepId);
    for (const k of touched.length > 0 ? touched.filter((candidate) => rows.get(candidate)?.outcome !== "done") : [key(approval.stepId)]) {
      const known = rows.get(k);
      const task = known?.task ?? approval.task ?? "";
      rows.set(k, { ...(known ?? { stepId: approval.stepId, phase: phase(approval.stepId), task, summary: "", csf: csfOf(task), changes: [] }), outcome: decision.decision, summary: decisionSummary(decision) });
    }
  }
  for (const failure of record.failures) {
    const candidates = rowsOf(failure.stepId);
    // The failure that reports a rejection (or expiry, or withdrawal) is not the step's own: it never ran.
    if (candidates.some((k) => notRunByDecision(rows.get(k)!.outcome))) continue;
    const k = candidates.find((candidate) => rows.get(candidate)?.outcome !== "done") ?? candidates[0] ?? key(failure.stepId);
    const known = rows.get(k);
    const task = known?.task ?? "";
    rows.set(k, { ...(known ?? { stepId: failure.stepId, phase: phase(failure.stepId), task, csf: csfOf(task), changes: [] }), outcome: known?.outcome === "done" ? "done" : "failed", summary: `${known?.summary ? `${known.summary}; ` : ""}failed: ${failure.error}`, at: known?.at ?? failure.at });
  }
  if (record.closed) rows.set("post-incident/close-incident", { stepId: "post-incident/close-incident", phase: "post-incident", task: "audit.close-incident", outcome: "done", at: record.closed.at, summary: `closed the incident (${record.closed.status})`, csf: csfOf("audit.close-incident"), changes: [] });
  return [...rows.values()];
}

function lessonsOf(record: IncidentRecord, steps: readonly ReportStep[], approvals: readonly ReportApproval[], metrics: readonly Metric[]): string[] {
  const lessons: string[] = [];
  const detect = metrics.find((m) => m.name === "Time to detect");
  lessons.push(`What would have detected this sooner${detect?.value ? ` than ${detect.value} after the triggering event` : ""}, and is the trigger of runbook ${record.opened?.runbook.id ?? "(unknown)"} tuned right (false positives, severity threshold)?`);
  const stopped = record.closed?.stopped;
  if (stopped) lessons.push(`The incident was closed by ${record.closed?.actor ?? "irflow"}, not its post-incident phase (${record.closed?.status}: ${stopped.reason}): which steps were left half done, and does anything need undoing or finishing by hand?`);
  // A step its approval stopped did not fail: the approval's own lesson below asks about it.
  const notRun = new Set(steps.filter((s) => notRunByDecision(s.outcome)).map((s) => s.stepId));
  for (const f of record.failures.filter((f) => !notRun.has(f.stepId))) lessons.push(`Why did ${f.stepId} fail (${f.error})? Would a permission, a retry setting or a runbook change have prevented it?`);
  for (const a of approvals) {
    if (a.decision === "rejected") lessons.push(`${a.stepId} was rejected by ${a.by.join(", ")} ("${a.reason}"): was the planned action wrong for this incident, or should the runbook decide differently?`);
    if (a.decision === "expired") lessons.push(`The approval of ${a.stepId} expired unanswered: are the approvers, their notification and the escalation right?`);
    if (a.refusals.length > 0) lessons.push(`${a.refusals.length} answer${a.refusals.length === 1 ? " was" : "s were"} refused for ${a.stepId}: do responders know who may approve what?`);
  }
  const slow = record.approvals.filter((a) => (ms(a.approval.requestedAt, a.decision?.decidedAt) ?? 0) > 15 * 60_000);
  if (slow.length > 0) lessons.push(`${slow.length} approval${slow.length === 1 ? "" : "s"} waited longer than 15 minutes: could these steps be pre-approved, or approvers reached faster?`);
  const unhashed = steps.flatMap((s) => s.changes).length > 0 && record.steps.some((s) => s.record.evidence.some((e) => !e.sha256)) ? ["Some evidence has no recorded SHA-256 (snapshots are identified by id): how is its integrity shown to a third party?"] : [];
  lessons.push(...unhashed);
  if (steps.some((s) => s.csf.length === 0)) lessons.push("Some steps carry no NIST CSF tag: which function of the framework do they serve?");
  lessons.push("Which manual step in this incident could be automated, and which automated step needed a human that was not asked?");
  lessons.push("What should change in the runbook, the detections or the architecture so that this does not recur?");
  return lessons;
}
