/**
 * The auditors' commands (incidents, history, verify, report) as a separate process reads them:
 * an incident is run in this process into a temporary embedded database, then the CLI is started
 * against that file with --db.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { auditEntry, KIND } from "../../functions/audit/audit-kinds.js";
import { DATABASE_FILE, EmbeddedDatabase } from "../../workflows/local/store/embedded-database.js";
import { SqliteAuditLog } from "../../workflows/local/store/sqlite-audit-log.js";
import { storeWithIncidents } from "../local/incident/support.js";
import { irflow } from "../support/irflow-cli.js";
import { copyOfStore } from "../support/store-reads.js";
import { tempDir } from "../support/temp-dir.js";

const TIMEOUT = 120_000;

let dir = "";
let db = "";
let incidentId = "";
let second = "";

beforeAll(async () => {
  ({ dir, db, incidentIds: [incidentId = "", second = ""] } = await storeWithIncidents("irflow-cli-audit-", ["ec2-instance-compromise", "public-s3-bucket"]));
}, 60_000);

describe("irflow incidents", () => {
  it("lists the incidents with runbook, status and outcome, filtered", async () => {
    const all = await irflow("incidents", "--db", db, "--json");
    expect(all.code).toBe(0);
    expect(JSON.parse(all.stdout)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ incidentId, runbook: "ec2-instance-compromise", status: "closed", outcome: expect.stringMatching(/^(resolved|failed)$/) }),
        expect.objectContaining({ incidentId: second, runbook: "public-s3-bucket", status: "closed", outcome: "resolved" }),
      ]),
    );
    const filtered = await irflow("incidents", "--db", db, "--runbook", "public-s3-bucket", "--status", "closed", "--since", "2026-11-01");
    expect(filtered.stdout).toContain(second);
    expect(filtered.stdout).not.toContain(incidentId);
    const bad = await irflow("incidents", "--db", db, "--since", "last tuesday");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--since last tuesday: give a duration");
  }, TIMEOUT);

  it("refuses a --runbook that is neither in runbooks/ nor among the store's incidents (exit 2); lists those of a runbook since removed", async () => {
    const path = join(tempDir("irflow-cli-audit-runbook-"), DATABASE_FILE);
    const database = EmbeddedDatabase.open({ path });
    const id = "inc-20261124-0a1b2c3d4e5f";
    await new SqliteAuditLog(database).append(id, auditEntry(KIND.incidentOpened, "function:detect.open-incident", "2026-11-24T12:00:00.250Z", { runbook: { id: "retired-runbook", revision: "r1" }, document: { incidentId: id, openedAt: "2026-11-24T12:00:00.000Z" } }));
    database.close();
    const [unknown, removed, none] = await Promise.all([
      irflow("incidents", "--db", path, "--runbook", "nope"),
      irflow("incidents", "--db", path, "--runbook", "retired-runbook", "--json"),
      irflow("incidents", "--db", path, "--runbook", "iam-hygiene"),
    ]);
    expect(unknown).toEqual({ code: 2, stdout: "", stderr: 'error: --runbook nope: no runbook "nope" in runbooks/ nor among this store\'s incidents; `irflow runbooks` lists them\n' });
    expect(removed.code).toBe(0);
    expect((JSON.parse(removed.stdout) as { incidentId: string; runbook: string }[]).map((row) => [row.incidentId, row.runbook])).toEqual([[id, "retired-runbook"]]);
    // A runbook of runbooks/ with no incidents yet is not a mistake.
    expect(none).toEqual({ code: 0, stdout: "no incidents\n", stderr: "" });
  }, TIMEOUT);

  it("says an incident opened when detect opened it, as its report does, not when the entry was appended", async () => {
    const path = join(tempDir("irflow-cli-audit-opened-"), DATABASE_FILE);
    const database = EmbeddedDatabase.open({ path });
    const id = "inc-20261124-0a1b2c3d4e5f";
    await new SqliteAuditLog(database).append(id, auditEntry(KIND.incidentOpened, "function:detect.open-incident", "2026-11-24T12:00:00.250Z", { runbook: { id: "ssh-rdp-brute-force", revision: "r1" }, document: { incidentId: id, openedAt: "2026-11-24T12:00:00.000Z" } }));
    database.close();
    const listed = JSON.parse((await irflow("incidents", "--db", path, "--json")).stdout) as { openedAt: string }[];
    const report = JSON.parse((await irflow("report", id, "--db", path, "--format", "json")).stdout) as { openedAt: string };
    expect(listed.map((row) => row.openedAt)).toEqual(["2026-11-24T12:00:00.000Z"]);
    expect(report.openedAt).toBe("2026-11-24T12:00:00.000Z");
  }, TIMEOUT);
});

describe("irflow history", () => {
  it("prints one timeline across phases: time, phase, actor (function or human), what", async () => {
    const run = await irflow("history", incidentId, "--db", db, "--json");
    expect(run.code).toBe(0);
    const lines = JSON.parse(run.stdout) as { at: string; phase: string; what: string; actor: string; source: string }[];
    expect(lines.map((l) => l.at)).toEqual([...lines.map((l) => l.at)].sort());
    for (const phase of ["detect", "contain", "eradicate", "post-incident"]) expect(lines.some((l) => l.phase === phase)).toBe(true);
    expect(lines).toContainEqual(expect.objectContaining({ source: "audit", actor: "irflow-local (auto-approve)", what: expect.stringContaining("contain/isolate-the-instance approved") }));
    expect(lines).toContainEqual(expect.objectContaining({ source: "audit", actor: "function:ec2.isolate-instance" }));
    expect(lines).toContainEqual(expect.objectContaining({ source: "execution", what: expect.stringContaining("TaskStateEntered") }));
  }, TIMEOUT);

  it("an unknown incident exits 1; a malformed id or a missing database exits 2", async () => {
    const unknown = await irflow("history", "inc-20991231-000000000000", "--db", db);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("no audit log for inc-20991231-000000000000");
    expect((await irflow("history", "i-123; rm -rf /", "--db", db)).code).toBe(2);
    const missing = await irflow("history", incidentId, "--db", join(dir, "nope.db"));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`no irflow store at ${join(dir, "nope.db")}`);
  }, TIMEOUT);
});

describe("irflow report", () => {
  it("renders md (default), html and json from the audit log, to stdout or a file", async () => {
    const md = await irflow("report", incidentId, "--db", db);
    expect(md.code).toBe(0);
    expect(md.stdout).toContain(`# Post-incident report: ${incidentId}`);
    expect(md.stdout).toContain("| contain/isolate-the-instance | ec2.isolate-instance | done | RS.MI-01");
    const file = join(dir, "report.html");
    expect((await irflow("report", incidentId, "--db", db, "--format", "html", "--output", file)).code).toBe(0);
    expect(readFileSync(file, "utf8")).toMatch(/^<!doctype html>/);
    expect((await irflow("report", incidentId, "--db", db, "--format", "pdf")).code).toBe(2);
  }, TIMEOUT);

  it("an --output it cannot write (a missing folder, a folder) is named, with exit 2 and no stack trace", async () => {
    const runs = await Promise.all([join(dir, "no-such-folder", "report.md"), dir].map((output) => irflow("report", incidentId, "--db", db, "--output", output)));
    expect(runs.map((run) => run.code)).toEqual([2, 2]);
    expect(runs[0]!.stderr).toContain(`error: cannot open ${join(dir, "no-such-folder", "report.md")}: no such file or folder (ENOENT)`);
    expect(runs[1]!.stderr).toContain(`error: cannot open ${dir}: it is a folder (EISDIR)`);
    for (const run of runs) expect(run.stderr).not.toMatch(/internal error|\n\s+at /);
  }, TIMEOUT);
});

describe("irflow verify", () => {
  it("exits 0 for intact logs, then 1 naming the entry once a row is edited", async () => {
    const ok = await irflow("verify", "--all", "--db", db);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(new RegExp(`^intact\\s+${incidentId}`, "m"));
    expect(ok.stdout).toContain("2 of 2 incident logs intact");
    expect((await irflow("verify", "--db", db)).code).toBe(2);

    const database = EmbeddedDatabase.open({ path: db });
    database.db.prepare("UPDATE audit_log SET body = json_set(body, '$.reason', 'nothing to see') WHERE incident_id = ? AND kind = 'approval.approved' AND seq = (SELECT min(seq) FROM audit_log WHERE incident_id = ? AND kind = 'approval.approved')").run(incidentId, incidentId);
    const seq = database.db.prepare<[string], { seq: number }>("SELECT min(seq) AS seq FROM audit_log WHERE incident_id = ? AND kind = 'approval.approved'").get(incidentId)!.seq;
    database.close();

    const tampered = await irflow("verify", incidentId, "--db", db);
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toContain(`TAMPERED  ${incidentId}`);
    expect(tampered.stdout).toContain(`entry ${seq}: edited: entry ${seq} (approval.approved) does not match its hash`);
    const all = await irflow("verify", "--all", "--db", db, "--json");
    expect(all.code).toBe(1);
    expect((JSON.parse(all.stdout) as { incidentId: string; ok: boolean }[]).map((v) => [v.incidentId, v.ok]).sort()).toEqual([[incidentId, false], [second, true]].sort());
    const report = await irflow("report", incidentId, "--db", db);
    expect(report.code).toBe(1);
    expect(report.stderr).toContain("fails verification");
    expect(report.stdout).toBe("");
    const history = await irflow("history", incidentId, "--db", db);
    expect(history.code).toBe(1);
    expect(history.stderr).toContain(`warning: the audit log of ${incidentId} fails verification (entry ${seq}: edited); this timeline is not evidence.`);
    expect(history.stdout).toContain("nothing to see");
    // --force renders it anyway, saying at the top of every format where the log fails; still exit 1.
    const [md, html, json] = await Promise.all(["md", "html", "json"].map((format) => irflow("report", incidentId, "--db", db, "--force", "--format", format)));
    for (const run of [md, html, json]) expect(run!.code).toBe(1);
    expect(md!.stdout.split("\n")[2]).toBe(`> **WARNING: this incident's audit log failed verification** (entry ${seq}: edited); this report is not evidence.`);
    expect(html!.stdout).toContain(`<section id="verification" class="warning"><h2>Warning: the audit log failed verification</h2><p>entry ${seq}: edited. This report is not evidence.</p></section>`);
    expect((JSON.parse(json!.stdout) as { failedVerification?: string[] }).failedVerification).toEqual([`entry ${seq}: edited`]);
  }, TIMEOUT);

  it("exits 1 when a log lost its end (the incident store closed it) or was deleted whole (the store holds the incident)", async () => {
    const copy = copyOfStore(db, "irflow-cli-audit-cut-");
    const database = EmbeddedDatabase.open({ path: copy });
    const closedAt = database.db.prepare<[string], { seq: number }>("SELECT seq FROM audit_log WHERE incident_id = ? AND kind = 'incident.closed'").get(second)!.seq;
    database.db.prepare("DELETE FROM audit_log WHERE incident_id = ? AND seq >= ?").run(second, closedAt);
    database.db.prepare("DELETE FROM audit_log WHERE incident_id = ?").run(incidentId);
    database.close();

    const cut = await irflow("verify", second, "--db", copy);
    expect(cut.code).toBe(1);
    expect(cut.stdout).toContain(`TAMPERED  ${second}  ${closedAt - 1} entries`);
    expect(cut.stdout).toMatch(new RegExp(`entry ${closedAt}: removed: the incident store records this incident closed at \\S+, but the log has no incident.closed entry: entries from ${closedAt} on were removed`));
    const gone = await irflow("verify", incidentId, "--db", copy);
    expect(gone.code).toBe(1);
    expect(gone.stdout).toContain(`TAMPERED  ${incidentId}  0 entries`);
    expect(gone.stdout).toContain("entry 1: removed: the incident store holds this incident (opened ");
    const all = await irflow("verify", "--all", "--db", copy, "--json");
    expect(all.code).toBe(1);
    expect((JSON.parse(all.stdout) as { incidentId: string; ok: boolean }[]).map((v) => [v.incidentId, v.ok]).sort()).toEqual([[incidentId, false], [second, false]].sort());
    // An id neither the log nor the store holds is still "no such incident".
    const unknown = await irflow("verify", "inc-20261124-000000000000", "--db", copy);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("no audit log for inc-20261124-000000000000");
  }, TIMEOUT);
});
