/**
 * A hostile trigger event and hostile answers through a whole local run, then every auditors'
 * view of it: the event is kept as received (it is evidence), and nothing in it, or in what
 * approvers typed, reaches a terminal as a control sequence, breaks the markdown report's
 * structure, or becomes markup in the HTML report.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { projectRecord } from "../../functions/audit/incident-record.js";
import { SqliteApprovalDesk } from "../../workflows/local/incident/sqlite-approval-desk.js";
import { DATABASE_FILE, EmbeddedDatabase } from "../../workflows/local/store/embedded-database.js";
import { SqliteAuditLog } from "../../workflows/local/store/sqlite-audit-log.js";
import { request } from "../functions/approval/fixtures.js";
import { irflow } from "../support/irflow-cli.js";
import { runnerFor, scenario } from "./support.js";
import { tempDir } from "../support/temp-dir.js";

const CHROMIUM = "/usr/bin/chromium";

/** Clears the screen, retitles the terminal, rewrites the line, forges rows and headings, links, markup, reorders text. */
const HOSTILE = "\u001b[2J\u001b]0;pwned\u0007<img src=x onerror=alert(1)>\r| forged | row |\n## Forged heading [click](javascript:alert(1)) \u202eevil\u200b \u009b31m\u0085";
/** Anything a terminal acts on other than a line feed. */
const RAW_CONTROL = /(?!\n)[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

let dir = "";
let db = "";
let incidentId = "";
let pendingId = "";

beforeAll(async () => {
  dir = tempDir("irflow-hostile-output-");
  db = join(dir, DATABASE_FILE);
  const database = EmbeddedDatabase.open({ path: db });
  try {
    const s = await scenario("iam-access-key-compromise");
    const event = structuredClone(s.event) as unknown as { detail: { title: string; description: string; service: { action: { awsApiCallAction: { userAgent: string } } } } };
    event.detail.title = HOSTILE;
    event.detail.description = HOSTILE;
    event.detail.service.action.awsApiCallAction.userAgent = HOSTILE;
    const runner = await runnerFor(s, { database, reportsDirectory: join(dir, "reports") });
    const run = runner.runIncident({ runbookId: s.runbook!, event, approvals: "manual" });
    let settled = false;
    void run.finally(() => (settled = true)).catch(() => undefined);
    const principals = ["arn:aws:iam::123456789012:role/IncidentResponder", "arn:aws:iam::123456789012:role/IncidentLead"];
    while (!settled) {
      const [pending] = await runner.approvals.list();
      if (!pending) {
        await new Promise((resolve) => setTimeout(resolve, 2));
        continue;
      }
      // A refused answer (wrong digest) is audited with who tried; then two hostile approvers.
      await runner.approvals.approve(pending.id, { as: { actor: `mallory${HOSTILE}`, principals }, reason: HOSTILE, digest: "0".repeat(64) }).catch(() => undefined);
      for (const who of ["alice", "bob"]) await runner.approvals.approve(pending.id, { as: { actor: `${who}${HOSTILE}`, principals }, reason: HOSTILE, digest: pending.digest }).catch(() => undefined);
    }
    const result = await run;
    incidentId = result.incidentId!;

    // One approval left waiting, for `irflow approvals`: hostile requester, plan and change.
    const desk = new SqliteApprovalDesk(database, { pollMs: 0, now: () => new Date() });
    const plans = [{ digest: "ab".repeat(32), summary: `swap ${HOSTILE}`, changes: 1 }];
    const details = [[{ resource: `i-0abc${HOSTILE}`, action: `Modify${HOSTILE}`, before: [HOSTILE], after: ["sg-quarantine"] }]];
    pendingId = (await desk.request(request({ plans, stepTitle: HOSTILE, timeoutSeconds: 3600 }), "manual", { requester: `event:${HOSTILE}`, details })).approvalId;
  } finally {
    database.close();
  }
}, 180_000);

describe("hostile strings in what auditors read", { timeout: 180_000 }, () => {
  it("keeps the event as received in the audit log: evidence is not cleaned", () => {
    const database = EmbeddedDatabase.open({ path: db });
    try {
      const record = projectRecord(incidentId, new SqliteAuditLog(database).entriesNow(incidentId));
      const event = record.opened?.event as { detail: { title: string } } | undefined;
      expect(event?.detail.title).toBe(HOSTILE);
      expect(record.approvals.some((a) => a.decision?.reason === HOSTILE)).toBe(true);
      expect(JSON.stringify(record.timeline)).toContain("\\u001b[2J");
    } finally {
      database.close();
    }
  });

  it("history, incidents, executions, approvals, verify and report pass no control character to the terminal", async () => {
    const commands = [
      ["history", incidentId, "--db", db],
      ["history", incidentId, "--all-events", "--json", "--db", db],
      ["incidents", "--db", db],
      ["incidents", "--json", "--db", db],
      ["executions", "--db", db],
      ["executions", "--json", "--db", db],
      ["approvals", "--dir", dir],
      ["approvals", "--json", "--dir", dir],
      ["approvals", "show", pendingId, "--dir", dir],
      ["verify", incidentId, "--db", db],
      ["report", incidentId, "--format", "md", "--db", db],
      ["report", incidentId, "--format", "json", "--db", db],
      ["report", incidentId, "--format", "html", "--db", db],
    ];
    const runs = await Promise.all(commands.map((args) => irflow(...args)));
    runs.forEach((run, i) => {
      const name = commands[i]!.slice(0, 3).join(" ");
      expect(run.code, `${name}: ${run.stderr}`).toBe(0);
      expect(run.stdout.match(RAW_CONTROL)?.[0], name).toBeUndefined();
    });
    const [history, historyJson, , , , , approvals, approvalsJson, show, , md, json] = runs.map((r) => r.stdout);
    // Shown, escaped, so the auditor sees what was attempted.
    expect(history).toContain("\\x1b[2J\\x1b]0;pwned\\x07");
    expect(history).toContain("\\u202eevil\\u200b");
    expect(show).toContain("\\x1b[2J");
    expect(approvals).toContain("requested by event:\\x1b[2J");
    // No recorded line break forges a line: every line of the timeline starts with its time.
    for (const line of history!.split("\n").slice(1, -1)) expect(line).toMatch(/^\d{4}-\d\d-\d\dT/);
    // JSON output is the same data, read back exactly.
    expect(JSON.stringify(JSON.parse(historyJson!))).toContain("\\u001b[2J");
    expect((JSON.parse(approvalsJson!) as { requester: string }[])[0]!.requester).toBe(`event:${HOSTILE}`);
    expect((JSON.parse(json!) as { approvals: { reason: string }[] }).approvals[0]!.reason).toBe(HOSTILE);
    expect(md).toContain("\\<img src=x onerror=alert(1)\\>");
  });

  it("the markdown report written to a file keeps its structure: no forged heading, row, link or markup", async () => {
    const file = join(dir, "report.md");
    const written = await irflow("report", incidentId, "--format", "md", "--output", file, "--db", db);
    expect(written.code, written.stderr).toBe(0);
    const md = readFileSync(file, "utf8");
    // Shown, escaped: the control as \x1b, the bracket after it as markdown text.
    expect(md).toContain("\\x1b\\[2J");
    const lines = md.split("\n");
    expect(lines.filter((l) => l.startsWith("#")).every((l) => !l.includes("Forged"))).toBe(true);
    expect(md).not.toMatch(/(?<!\\)<img|(?<!\\)\]\(javascript:/);
    // Every table row has as many cells as its header.
    let columns = 0;
    for (const line of lines) {
      if (!line.startsWith("|")) {
        columns = 0;
        continue;
      }
      const cells = line.split(/(?<!\\)\|/).length;
      if (columns === 0) columns = cells;
      expect(cells, line).toBe(columns);
    }
    expect(md).toContain("| alice\\x1b\\[2J");
  });

  it("the HTML report shows the hostile strings as text and runs nothing", async () => {
    const run = await irflow("report", incidentId, "--format", "html", "--db", db);
    const html = run.stdout;
    const tags = new Set([...html.matchAll(/<([a-zA-Z][a-zA-Z0-9]*)/g)].map((m) => m[1]!.toLowerCase()));
    expect([...tags].filter((tag) => !["html", "head", "meta", "title", "style", "body", "header", "div", "p", "h1", "h2", "h3", "span", "b", "time", "main", "section", "table", "thead", "tbody", "tr", "th", "td", "code", "dl", "dt", "dd", "ol", "ul", "li", "footer", "details", "summary"].includes(tag))).toEqual([]);
    expect(html).not.toMatch(/<[^>]*onerror/i);
    expect(html).toContain("&#60;img src=x onerror=alert(1)&#62;");
    if (!existsSync(CHROMIUM)) return;
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu"] });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));
      await page.setContent(html, { waitUntil: "load" });
      expect(await page.locator("img, script, a").count()).toBe(0);
      expect(await page.locator("#approval-table", { hasText: "<img src=x onerror=alert(1)>" }).isVisible()).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
