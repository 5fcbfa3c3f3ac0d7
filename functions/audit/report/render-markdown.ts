// Every string from the record goes through one of these (markdown-text.ts says what each stops).
import { mdCell as cell, mdCode as code, mdJson as json, mdText as t } from "./markdown-text.js";
import type { ReportModel } from "./report-model.js";

const list = (items: readonly string[]): readonly string[] => (items.length > 0 ? items : ["- (none)"]);

/** The post-incident report as markdown (the file responders read next to the run). */
export function renderMarkdown(model: ReportModel): string {
  const why = model.aborted ?? model.failure;
  const lines: string[] = [
    `# Post-incident report: ${t(model.incidentId)}`,
    "",
    ...(model.failedVerification ? [`> **WARNING: this incident's audit log failed verification** (${t(model.failedVerification.join("; "))}); this report is not evidence.`, ""] : []),
    `- Outcome: **${model.status.toUpperCase()}**${why !== undefined ? ` (${t(why)})` : ""}`,
    `- Runbook: ${t(model.runbook.id)} (revision ${t(model.runbook.revision)})`,
    `- Opened: ${t(model.openedAt ?? "unknown")}; closed: ${t(model.closedAt ?? "not yet")}; report written ${model.writtenAt}`,
    `- Severity: ${t(model.severity ?? "unknown")}`,
    `- Audit log: ${model.chain.entries} entries, head ${t(model.chain.headHash)}`,
    "",
    "## Summary",
    "",
    t(model.outcome),
    "",
    "## Trigger",
    "",
    ...list(model.trigger.map((f) => `- ${t(f.name)}: ${t(f.value)}`)),
    "",
    "## Resource",
    "",
    ...list(model.resource.map((f) => `- ${t(f.name)}: ${t(f.value)}`)),
    ...(model.actor.length > 0 ? ["", "## Actor", "", ...model.actor.map((f) => `- ${t(f.name)}: ${t(f.value)}`)] : []),
    ...(model.network.length > 0 ? ["", "## Network", "", ...model.network.map((f) => `- ${t(f.name)}: ${t(f.value)}`)] : []),
    "",
    "## Metrics",
    "",
    "| metric | value | basis |",
    "|---|---|---|",
    ...model.metrics.map((m) => `| ${cell(m.name)} | ${cell(m.value ?? "not reached")} | ${cell(m.basis)} |`),
    "",
    "## Milestones",
    "",
    ...list(model.milestones.map((m) => `- ${t(m.at)} ${t(m.name)}`)),
    "",
    "## Phases",
    "",
    ...list(model.phases.map((p) => `- ${t(p.phase)}: ${t(p.status)} (${t(p.startedAt)}${p.endedAt ? ` → ${t(p.endedAt)}, ${t(p.duration ?? "")}` : ""})`)),
    "",
    "## Steps and NIST CSF 2.0",
    "",
    "| step | task | outcome | CSF 2.0 |",
    "|---|---|---|---|",
    ...model.steps.map((s) => `| ${cell(s.stepId)}${s.item !== undefined ? ` [${s.item}]` : ""} | ${cell(s.task || "(unknown)")} | ${cell(s.outcome)} | ${cell(s.csf.join(", ") || "(untagged)")} |`),
    "",
    ...model.csf.map((c) => `- ${t(c.tag)} (${t(c.name)}): ${t(c.steps.join(", "))}`),
    "",
    "## Changes",
    "",
  ];
  const acted = model.steps.filter((s) => s.outcome === "done" && s.changes.length + (s.undo ? 1 : 0) > 0);
  if (acted.length === 0) lines.push("No step changed anything.", "");
  for (const s of acted) {
    lines.push(`### ${t(s.stepId)}${s.item !== undefined ? ` (item ${s.item})` : ""}: ${t(s.task)}`, "", `- At: ${t(s.at ?? "unknown")}`, `- Summary: ${t(s.summary)}`, `- Changes (${s.changes.length}):`);
    lines.push(...(s.changes.length === 0 ? ["  - no change"] : s.changes.map((c) => `  - ${code(c.action)} on ${code(c.resource)}: before ${json(c.before)} → after ${json(c.after)}`)));
    if (s.undo) lines.push(`- Undo: ${code(s.undo.task)} ${json(s.undo.input)}`);
    lines.push("");
  }
  lines.push("## Evidence", "");
  lines.push(...list(model.evidence.map((e) => `- ${t(e.kind)}: ${code(e.location)}${e.sha256 ? ` sha256 ${t(e.sha256)}` : ""}${e.sizeBytes !== undefined ? ` (${e.sizeBytes} bytes)` : ""}: ${t(e.description)} [${t(e.stepId)}]`)));
  lines.push("", "### Custody", "");
  lines.push(...list(model.custody.map((c) => `- ${t(c.at)} ${t(c.what)}: ${code(c.location)} sha256 ${t(c.sha256)}`)));
  lines.push("", "## Approvals", "");
  if (model.approvals.length === 0) lines.push("- (none)");
  else {
    lines.push("| step | decision | by | reason | plan digests | requested | decided | wait |", "|---|---|---|---|---|---|---|---|");
    for (const a of model.approvals) lines.push(`| ${cell(a.stepId)} | ${cell(a.decision)} | ${cell((a.authority ?? a.by).join(", "))} | ${cell(a.reason)} | ${cell(a.planDigests.join(", "))} | ${cell(a.requestedAt ?? "")} | ${cell(a.decidedAt ?? "")} | ${cell(a.wait ?? "")} |`);
    for (const a of model.approvals) for (const r of a.refusals) lines.push(`- refused for ${t(a.stepId)} at ${t(r.at)}: ${t(r.by)}: ${t(r.reason)}`);
  }
  lines.push("", "## Failures", "");
  lines.push(...list(model.failures.map((f) => `- ${t(f.at)} ${t(f.stepId)}: ${t(f.error)}${f.cause ? `: ${t(f.cause)}` : ""}`)));
  lines.push("", "## Timeline", "", "| # | time | phase | what | actor |", "|---|---|---|---|---|");
  lines.push(...model.timeline.map((l) => `| ${l.seq} | ${cell(l.at)} | ${cell(l.phase ?? "")} | ${cell(l.what)} | ${cell(l.actor)} |`));
  lines.push("", "## Lessons learned", "", ...model.lessons.map((l) => `- [ ] ${t(l)}`));
  if (model.unreadable.length > 0) lines.push("", "## Entries this report could not read", "", ...model.unreadable.map((u) => `- ${t(u)}`));
  lines.push("", "## Outcome", "", t(model.outcome), "");
  return lines.join("\n");
}
