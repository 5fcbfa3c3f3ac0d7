import type { ReportModel } from "./report-model.js";

const json = (value: unknown): string => (value === undefined ? "(none)" : JSON.stringify(value));
/** Markdown table cells: no pipes or newlines from the data. */
const cell = (text: string): string => text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
/** Inline code that the data cannot close early. */
const code = (text: string): string => (text.includes("`") ? `\`\` ${text.replace(/\r?\n/g, " ")} \`\`` : `\`${text.replace(/\r?\n/g, " ")}\``);
const list = (items: readonly string[]): readonly string[] => (items.length > 0 ? items : ["- (none)"]);

/** The post-incident report as markdown (the file responders read next to the run). */
export function renderMarkdown(model: ReportModel): string {
  const lines: string[] = [
    `# Post-incident report: ${model.incidentId}`,
    "",
    `- Outcome: **${model.status.toUpperCase()}**${model.failure ? ` (${model.failure})` : ""}`,
    `- Runbook: ${model.runbook.id} (revision ${model.runbook.revision})`,
    `- Opened: ${model.openedAt ?? "unknown"}; closed: ${model.closedAt ?? "not yet"}; report written ${model.writtenAt}`,
    `- Severity: ${model.severity ?? "unknown"}`,
    `- Audit log: ${model.chain.entries} entries, head ${model.chain.headHash}`,
    "",
    "## Summary",
    "",
    model.outcome,
    "",
    "## Trigger",
    "",
    ...list(model.trigger.map((f) => `- ${f.name}: ${f.value}`)),
    "",
    "## Resource",
    "",
    ...list(model.resource.map((f) => `- ${f.name}: ${f.value}`)),
    ...(model.actor.length > 0 ? ["", "## Actor", "", ...model.actor.map((f) => `- ${f.name}: ${f.value}`)] : []),
    ...(model.network.length > 0 ? ["", "## Network", "", ...model.network.map((f) => `- ${f.name}: ${f.value}`)] : []),
    "",
    "## Metrics",
    "",
    "| metric | value | basis |",
    "|---|---|---|",
    ...model.metrics.map((m) => `| ${m.name} | ${m.value ?? "not reached"} | ${cell(m.basis)} |`),
    "",
    "## Milestones",
    "",
    ...list(model.milestones.map((m) => `- ${m.at} ${m.name}`)),
    "",
    "## Phases",
    "",
    ...list(model.phases.map((p) => `- ${p.phase}: ${p.status} (${p.startedAt}${p.endedAt ? ` → ${p.endedAt}, ${p.duration ?? ""}` : ""})`)),
    "",
    "## Steps and NIST CSF 2.0",
    "",
    "| step | task | outcome | CSF 2.0 |",
    "|---|---|---|---|",
    ...model.steps.map((s) => `| ${cell(s.stepId)}${s.item !== undefined ? ` [${s.item}]` : ""} | ${cell(s.task || "(unknown)")} | ${s.outcome} | ${s.csf.join(", ") || "(untagged)"} |`),
    "",
    ...model.csf.map((c) => `- ${c.tag} (${c.name}): ${c.steps.join(", ")}`),
    "",
    "## Changes",
    "",
  ];
  const acted = model.steps.filter((s) => s.outcome === "done" && s.changes.length + (s.undo ? 1 : 0) > 0);
  if (acted.length === 0) lines.push("No step changed anything.", "");
  for (const s of acted) {
    lines.push(`### ${s.stepId}${s.item !== undefined ? ` (item ${s.item})` : ""}: ${s.task}`, "", `- At: ${s.at ?? "unknown"}`, `- Summary: ${s.summary}`, `- Changes (${s.changes.length}):`);
    lines.push(...(s.changes.length === 0 ? ["  - no change"] : s.changes.map((c) => `  - ${code(c.action)} on ${code(c.resource)}: before ${json(c.before)} → after ${json(c.after)}`)));
    if (s.undo) lines.push(`- Undo: ${code(s.undo.task)} ${json(s.undo.input)}`);
    lines.push("");
  }
  lines.push("## Evidence", "");
  lines.push(...list(model.evidence.map((e) => `- ${e.kind}: ${code(e.location)}${e.sha256 ? ` sha256 ${e.sha256}` : ""}${e.sizeBytes !== undefined ? ` (${e.sizeBytes} bytes)` : ""}: ${e.description} [${e.stepId}]`)));
  lines.push("", "### Custody", "");
  lines.push(...list(model.custody.map((c) => `- ${c.at} ${c.what}: ${code(c.location)} sha256 ${c.sha256}`)));
  lines.push("", "## Approvals", "");
  if (model.approvals.length === 0) lines.push("- (none)");
  else {
    lines.push("| step | decision | by | reason | plan digests | requested | decided | wait |", "|---|---|---|---|---|---|---|---|");
    for (const a of model.approvals) lines.push(`| ${cell(a.stepId)} | ${a.decision} | ${cell(a.by.join(", "))} | ${cell(a.reason)} | ${cell(a.planDigests.join(", "))} | ${a.requestedAt ?? ""} | ${a.decidedAt ?? ""} | ${a.wait ?? ""} |`);
    for (const a of model.approvals) for (const r of a.refusals) lines.push(`- refused for ${a.stepId} at ${r.at}: ${r.by}: ${r.reason}`);
  }
  lines.push("", "## Failures", "");
  lines.push(...list(model.failures.map((f) => `- ${f.at} ${f.stepId}: ${f.error}${f.cause ? `: ${f.cause}` : ""}`)));
  lines.push("", "## Timeline", "", "| # | time | phase | what | actor |", "|---|---|---|---|---|");
  lines.push(...model.timeline.map((t) => `| ${t.seq} | ${t.at} | ${t.phase ?? ""} | ${cell(t.what)} | ${cell(t.actor)} |`));
  lines.push("", "## Lessons learned", "", ...model.lessons.map((l) => `- [ ] ${l}`));
  if (model.unreadable.length > 0) lines.push("", "## Entries this report could not read", "", ...model.unreadable.map((u) => `- ${u}`));
  lines.push("", "## Outcome", "", model.outcome, "");
  return lines.join("\n");
}
