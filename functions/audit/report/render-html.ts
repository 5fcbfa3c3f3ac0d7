import { INVISIBLE, visible } from "../visible-text.js";
import type { Fact, ReportModel } from "./report-model.js";

/** Every string from an event, a task or a human goes through this: no markup gets in, no control or bidi override reorders what the reader sees. */
export function escapeHtml(text: string): string {
  // Most strings hold nothing to escape: one scan, no copy.
  if (!HTML_SPECIAL.test(text)) return text;
  return visible(text).replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** What `escapeHtml` changes: markup characters and `visible`'s invisible ones. */
const HTML_SPECIAL = new RegExp(`[&<>"'\`]|${INVISIBLE.source}`, "u");

const e = escapeHtml;
const json = (value: unknown): string => (value === undefined ? "(none)" : JSON.stringify(value));
const short = (hash: string): string => (hash.length > 16 ? `${hash.slice(0, 12)}…` : hash);
const none = (colspan: number, text = "None recorded."): string => `<tr><td colspan="${colspan}" class="muted">${e(text)}</td></tr>`;
/** 20 GiB, 512 KiB, 4 B: sizes as people read them (the exact byte count is in the title). */
const bytes = (n: number): string => {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `<span title="${n} bytes">${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}</span>`;
};
const time = (iso: string | undefined): string => (iso ? `<time datetime="${e(iso)}">${e(iso.replace("T", " ").replace(/\.\d{3}Z$/, "Z"))}</time>` : `<span class="muted">—</span>`);

function table(id: string, headings: readonly string[], rows: readonly string[], empty?: string): string {
  return `<table id="${id}"><thead><tr>${headings.map((h) => `<th scope="col">${e(h)}</th>`).join("")}</tr></thead><tbody>${rows.length > 0 ? rows.join("") : none(headings.length, empty)}</tbody></table>`;
}

function factList(title: string, facts: readonly Fact[]): string {
  if (facts.length === 0) return "";
  return `<div class="facts"><h3>${e(title)}</h3><dl>${facts.map((f) => `<dt>${e(f.name)}</dt><dd>${e(f.value)}</dd>`).join("")}</dl></div>`;
}

const STYLE = `
:root{--ink:#1b2430;--muted:#5b6675;--line:#d9dee5;--soft:#f4f6f9;--brand:#1f4e8c;--ok:#1d7a46;--bad:#b42318;--warn:#b25e09}
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 -apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);background:#fff}
main{max-width:1120px;margin:0 auto;padding:0 32px 48px}
header.top{background:var(--brand);color:#fff;padding:28px 32px 24px}
header.top .inner{max-width:1056px;margin:0 auto}
header.top .eyebrow{text-transform:uppercase;letter-spacing:.08em;font-size:12px;opacity:.8;margin:0}
header.top h1{margin:4px 0 12px;font-size:26px;font-weight:600}
.badge{display:inline-block;padding:2px 10px;border-radius:999px;font-size:12px;font-weight:700;letter-spacing:.05em;text-transform:uppercase;vertical-align:middle}
.badge.resolved,.badge.done,.badge.approved,.badge.intact,.badge.SUCCEEDED{background:#e3f4ea;color:var(--ok)}
.badge.failed,.badge.aborted,.badge.rejected,.badge.FAILED,.badge.expired,.badge.withdrawn,.badge.TIMED_OUT,.badge.ABORTED{background:#fde8e6;color:var(--bad)}
.badge.open,.badge.pending,.badge.RUNNING,.badge.planned{background:#fff1dc;color:var(--warn)}
header.top .badge{background:#fff}
.meta{display:flex;flex-wrap:wrap;gap:6px 28px;font-size:13px;opacity:.95}
.meta span b{font-weight:600}
section{margin-top:32px;break-inside:auto}
h2{font-size:18px;margin:0 0 12px;padding-bottom:6px;border-bottom:2px solid var(--line)}
h3{font-size:14px;margin:16px 0 8px}
p.summary{font-size:15px;margin:16px 0 0;padding:12px 16px;border-left:4px solid var(--brand);background:var(--soft)}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:12px}
.card{border:1px solid var(--line);border-radius:8px;padding:12px 14px;background:#fff}
.card .label{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
.card .value{font-size:22px;font-weight:600;margin:2px 0}
.card .basis{font-size:12px;color:var(--muted)}
.grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:16px}
.facts dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0}
.facts dt{color:var(--muted)}
.facts dd{margin:0;overflow-wrap:anywhere}
table{width:100%;border-collapse:collapse;font-size:13px}
th{text-align:left;font-weight:600;color:var(--muted);background:var(--soft);border-bottom:1px solid var(--line);padding:6px 8px;white-space:nowrap}
td{border-bottom:1px solid var(--line);padding:6px 8px;vertical-align:top;overflow-wrap:break-word}
td.mono{overflow-wrap:anywhere}
td.nowrap,td time{white-space:nowrap}
td.actor{min-width:12em}
code{overflow-wrap:anywhere}
tr{break-inside:avoid}
code,.mono{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
code{background:var(--soft);padding:1px 4px;border-radius:4px}
.tag{display:inline-block;border:1px solid #b8c7dc;color:var(--brand);border-radius:4px;padding:0 5px;margin:1px 2px 1px 0;font-size:11px;font-weight:600;white-space:nowrap}
.muted{color:var(--muted)}
.warning{border:2px solid #b42318;background:#fef3f2;color:#7a271a;padding:12px 16px;border-radius:6px}
ol.lessons li{margin:4px 0}
details{margin-top:6px}
footer{margin-top:40px;padding-top:12px;border-top:1px solid var(--line);font-size:12px;color:var(--muted)}
@media print{
  header.top{background:#fff;color:var(--ink);border-bottom:3px solid var(--brand);padding:0 0 12px}
  header.top .badge{border:1px solid currentColor}
  main{max-width:none;padding:0}
  section{break-inside:auto}
  h2{break-after:avoid}
  a{color:inherit;text-decoration:none}
  @page{margin:16mm 14mm}
}`;

/** The report as one self-contained HTML page: inline styles, no scripts, readable on paper. */
export function renderHtml(model: ReportModel): string {
  const tags = (list: readonly string[]) => (list.length > 0 ? list.map((t) => `<span class="tag">${e(t)}</span>`).join("") : `<span class="muted">untagged</span>`);
  const badge = (text: string) => `<span class="badge ${e(text.split(/[ ,]/)[0] ?? "")}">${e(text)}</span>`;
  const changeRows = model.steps
    .filter((s) => s.outcome === "done")
    .flatMap((s) => s.changes.map((c) => `<tr><td>${e(s.stepId)}</td><td><code>${e(c.action)}</code></td><td class="mono">${e(c.resource)}</td><td class="mono">${e(json(c.before))}</td><td class="mono">${e(json(c.after))}</td><td>${s.undo ? `<code>${e(s.undo.task)}</code>` : `<span class="muted">—</span>`}</td></tr>`));
  const sections = [
    ...(model.failedVerification ? [`<section id="verification" class="warning"><h2>Warning: the audit log failed verification</h2><p>${e(model.failedVerification.join("; "))}. This report is not evidence.</p></section>`] : []),
    `<section id="summary"><h2>Summary</h2>
      <p class="summary">${e(model.outcome)}</p>
      <div class="grid2">${factList("Trigger", model.trigger)}${factList("Resource", model.resource)}${factList("Actor", model.actor)}${factList("Network", model.network)}</div>
    </section>`,
    `<section id="metrics"><h2>Metrics</h2><div class="cards">${model.metrics
      .map((m) => `<div class="card"><div class="label">${e(m.name)}</div><div class="value">${m.value ? e(m.value) : `<span class="muted">—</span>`}</div><div class="basis">${e(m.value ? m.basis : `not reached (${m.basis})`)}</div></div>`)
      .join("")}</div></section>`,
    `<section id="timeline"><h2>Timeline</h2>
      ${table("milestones", ["Milestone", "Reached"], model.milestones.map((m) => `<tr><td>${e(m.name)}</td><td>${time(m.at)}</td></tr>`), "No milestone reached.")}
      <h3>Phases</h3>
      ${table("phases", ["Phase", "Status", "Started", "Ended", "Duration"], model.phases.map((p) => `<tr><td>${e(p.phase)}</td><td>${badge(p.status)}</td><td>${time(p.startedAt)}</td><td>${time(p.endedAt)}</td><td>${e(p.duration ?? "")}</td></tr>`), "No phase execution recorded.")}
      <h3>Audit log</h3>
      ${table("log", ["#", "Time", "Phase", "What", "Actor"], model.timeline.map((t) => `<tr><td class="nowrap">${t.seq}</td><td>${time(t.at)}</td><td>${e(t.phase ?? "")}</td><td>${e(t.what)}</td><td class="mono actor">${e(t.actor)}</td></tr>`))}
    </section>`,
    `<section id="steps"><h2>Steps and NIST CSF 2.0</h2>
      ${table("step-table", ["Step", "Task", "Outcome", "CSF 2.0", "Summary"], model.steps.map((s) => `<tr><td>${e(s.stepId)}${s.item !== undefined ? ` [${s.item}]` : ""}</td><td class="nowrap"><code>${e(s.task || "(unknown)")}</code></td><td>${badge(s.outcome)}</td><td>${tags(s.csf)}</td><td>${e(s.summary)}</td></tr>`))}
      <h3>CSF 2.0 coverage</h3>
      ${table("csf", ["Tag", "Subcategory", "Steps"], model.csf.map((c) => `<tr><td><span class="tag">${e(c.tag)}</span></td><td>${e(c.name)}</td><td>${e(c.steps.join(", "))}</td></tr>`))}
    </section>`,
    `<section id="changes"><h2>Changes</h2>${table("change-table", ["Step", "Action", "Resource", "Before", "After", "Undo"], changeRows, "No step changed anything.")}</section>`,
    `<section id="evidence"><h2>Evidence and custody</h2>
      ${table("evidence-table", ["Kind", "Location", "SHA-256", "Size", "Step", "Description"], model.evidence.map((x) => `<tr><td>${e(x.kind)}</td><td class="mono">${e(x.location)}</td><td class="mono" title="${e(x.sha256 ?? "")}">${x.sha256 ? e(short(x.sha256)) : `<span class="muted">not hashed</span>`}</td><td class="nowrap">${x.sizeBytes !== undefined ? bytes(x.sizeBytes) : ""}</td><td>${e(x.stepId)}</td><td>${e(x.description)}</td></tr>`))}
      <h3>Chain of custody</h3>
      ${table("custody", ["Time", "What", "Location", "SHA-256"], model.custody.map((c) => `<tr><td>${time(c.at)}</td><td>${e(c.what)}</td><td class="mono">${e(c.location)}</td><td class="mono" title="${e(c.sha256)}">${e(short(c.sha256))}</td></tr>`))}
    </section>`,
    `<section id="approvals"><h2>Approvals</h2>
      ${table("approval-table", ["Step", "Decision", "By", "Reason", "Plan digest", "Requested", "Decided", "Wait"], model.approvals.map((a) => `<tr><td>${e(a.stepId)}</td><td>${badge(a.decision)}</td><td>${e((a.authority ?? a.by).join(", "))}</td><td>${e(a.reason)}</td><td class="mono" title="${e(a.planDigests.join(", "))}">${e(a.planDigests.map(short).join(", "))}</td><td>${time(a.requestedAt)}</td><td>${time(a.decidedAt)}</td><td>${e(a.wait ?? "")}</td></tr>`))}
      ${model.approvals.flatMap((a) => a.refusals.map((r) => `<p class="muted">Refused for ${e(a.stepId)} at ${time(r.at)}: ${e(r.by)}: ${e(r.reason)}</p>`)).join("")}
    </section>`,
    `<section id="failures"><h2>What failed</h2>${table("failure-table", ["Time", "Step", "Error", "Cause"], model.failures.map((f) => `<tr><td>${time(f.at)}</td><td>${e(f.stepId)}</td><td><code>${e(f.error)}</code></td><td>${e(f.cause)}</td></tr>`), "Nothing failed.")}</section>`,
    `<section id="lessons"><h2>Lessons learned</h2><ol class="lessons">${model.lessons.map((l) => `<li>${e(l)}</li>`).join("")}</ol></section>`,
    ...(model.unreadable.length > 0 ? [`<section id="unreadable"><h2>Entries this report could not read</h2><ul>${model.unreadable.map((u) => `<li>${e(u)}</li>`).join("")}</ul></section>`] : []),
  ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Post-incident report: ${e(model.incidentId)}</title>
<style>${STYLE}</style>
</head>
<body>
<header class="top"><div class="inner">
<p class="eyebrow">irflow · post-incident report</p>
<h1>${e(model.incidentId)} ${badge(model.status)}</h1>
<div class="meta">
<span><b>Runbook</b> ${e(model.runbook.id)} <span class="mono" title="${e(model.runbook.revision)}">@${e(short(model.runbook.revision))}</span></span>
<span><b>Severity</b> ${e(model.severity ?? "unknown")}</span>
<span><b>Opened</b> ${time(model.openedAt)}</span>
<span><b>Closed</b> ${model.closedAt ? time(model.closedAt) : "not yet"}</span>
</div>
</div></header>
<main>
${sections.join("\n")}
<footer>Rendered ${time(model.writtenAt)} from ${model.chain.entries} audit-log entries; chain head <span class="mono">${e(model.chain.headHash)}</span>. Verify with <code>irflow verify ${e(model.incidentId)}</code>.</footer>
</main>
</body>
</html>
`;
}
