import * as z from "zod";
import type { Change } from "../../../functions/contract/changes.js";
import type { IncidentRecord } from "./incident-record.js";

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

export interface ReportInput {
  readonly incidentId: string;
  readonly document: Record<string, unknown>;
  readonly record: IncidentRecord | undefined;
  readonly writtenAt: Date;
}

export type ReportStatus = "resolved" | "failed";

export function reportStatus(document: Record<string, unknown>): ReportStatus {
  const parsed = ReportDocument.safeParse(document);
  return parsed.success && parsed.data.failure ? "failed" : "resolved";
}

const json = (value: unknown): string => (value === undefined ? "(none)" : JSON.stringify(value));
/** Markdown table cells: no pipes or newlines from the data. */
const cell = (text: string): string => text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
const facts = (value: Record<string, unknown> | null | undefined): string[] =>
  value ? Object.entries(value).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => `- ${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`) : ["- (none)"];

/** The nested JSON of a failed child execution's cause, down to the innermost message. */
function explainCause(cause: string | undefined): string {
  let text = cause ?? "";
  for (let depth = 0; depth < 4; depth += 1) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === "object") {
        const o = parsed as Record<string, unknown>;
        const next = o.Cause ?? o.errorMessage;
        if (typeof next === "string") {
          text = next;
          continue;
        }
      }
    } catch {
      // plain text
    }
    break;
  }
  return text;
}

function changeLines(changes: readonly Change[]): string[] {
  if (changes.length === 0) return ["  - no change"];
  return changes.map((c) => `  - \`${c.action}\` on \`${c.resource}\`: before ${json(c.before)} → after ${json(c.after)}`);
}

/** A post-incident report in markdown, from the document as post-incident ends and the incident record. */
export function renderReport(input: ReportInput): string {
  const parsed = ReportDocument.safeParse(input.document);
  const doc = parsed.success ? parsed.data : {};
  const record = input.record;
  const status = doc.failure ? "failed" : "resolved";
  const runs = (record?.steps ?? []).filter((s) => s.record.mode === "run");
  const lines: string[] = [
    `# Post-incident report: ${input.incidentId}`,
    "",
    `- Outcome: **${status.toUpperCase()}**${doc.failure ? ` (${doc.failure.Error}: ${explainCause(doc.failure.Cause)})` : ""}`,
    `- Runbook: ${doc.runbook?.id ?? "unknown"} (revision ${doc.runbook?.revision ?? "unknown"})`,
    `- Opened: ${doc.openedAt ?? "unknown"}; report written ${input.writtenAt.toISOString()}`,
    `- Severity: ${doc.severity ? `${doc.severity.label} (${doc.severity.score})` : "unknown"}`,
    "",
    "## Trigger",
    "",
    ...facts(doc.trigger),
    "",
    "## Resource",
    "",
    ...facts(doc.resource),
    ...(doc.actor ? ["", "## Actor", "", ...facts(doc.actor)] : []),
    ...(doc.network ? ["", "## Network", "", ...facts(doc.network)] : []),
    "",
    "## Milestones",
    "",
    ...((record?.milestones.length ?? 0) > 0 ? record!.milestones.map((m) => `- ${m.at} ${m.name}`) : ["- (none)"]),
    "",
    "## Steps",
    "",
  ];
  if (runs.length === 0) lines.push("No step made a change or produced a result.");
  for (const step of runs) {
    const r = step.record;
    lines.push(`### ${step.stepId}${step.item !== undefined ? ` (item ${step.item})` : ""}: ${r.task}`, "", `- At: ${r.at}`, `- Summary: ${r.summary}`, `- Changes (${r.changes.length}):`, ...changeLines(r.changes));
    if (r.undo) lines.push(`- Undo: \`${r.undo.task}\` ${json(r.undo.input)}`);
    lines.push("");
  }
  const evidence = runs.flatMap((s) => s.record.evidence.map((e) => ({ step: s.stepId, e })));
  lines.push("## Evidence", "");
  if (evidence.length === 0) lines.push("- (none)");
  for (const { step, e } of evidence) lines.push(`- ${e.kind}: \`${e.location}\`${e.sha256 ? ` sha256 ${e.sha256}` : ""}${e.sizeBytes !== undefined ? ` (${e.sizeBytes} bytes)` : ""}: ${e.description} [${step}]`);
  lines.push("", "## Approvals", "");
  if ((record?.approvals.length ?? 0) === 0) lines.push("- (none)");
  else {
    lines.push("| step | decision | by | reason | plan digests | decided |", "|---|---|---|---|---|---|");
    for (const { approval, decision } of record!.approvals) {
      lines.push(`| ${cell(approval.stepId)} | ${decision.decision} | ${cell(decision.by.join(", "))} | ${cell(decision.reason)} | ${cell(approval.plans.map((p) => p.digest).join(", "))} | ${decision.decidedAt} |`);
    }
  }
  lines.push("", "## Failures", "");
  if ((record?.failures.length ?? 0) === 0) lines.push("- (none)");
  for (const f of record?.failures ?? []) lines.push(`- ${f.at} ${f.stepId}: ${f.error}${f.cause ? `: ${explainCause(f.cause)}` : ""}`);
  lines.push("", "## Outcome", "", status === "resolved" ? "Every phase completed." : `The incident ended FAILED; post-incident still ran. ${doc.failure ? `${doc.failure.Error}: ${explainCause(doc.failure.Cause)}` : ""}`.trimEnd(), "");
  return lines.join("\n");
}
