/**
 * The commands a responder runs from a second terminal agree on where the store is (`--dir`/`--db`
 * on every one) and never answer from a store that is not there: a mistyped path is refused,
 * naming it, and nothing is created.
 */
import Database from "better-sqlite3";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { localIdentity } from "../../workflows/local/incident/local-identities.js";
import { SqliteApprovalDesk } from "../../workflows/local/incident/sqlite-approval-desk.js";
import { SqliteAuditLog } from "../../workflows/local/store/sqlite-audit-log.js";
import { EmbeddedDatabase } from "../../workflows/local/store/embedded-database.js";
import { DIGEST, request } from "../functions/approval/fixtures.js";
import { irflow } from "../support/irflow-cli.js";
import { tempDir } from "../support/temp-dir.js";

const TIMEOUT = 120_000;
const INCIDENT = "inc-20261124-0a1b2c3d4e5f";
const root = tempDir("irflow-cli-store-");
/** A run started with `--db <folder>/custom.db`: the folder holds no irflow.db. */
const folder = join(root, "j_db");
const custom = join(folder, "custom.db");
let approvalId = "";

beforeAll(async () => {
  const database = EmbeddedDatabase.open({ path: custom });
  try {
    const desk = new SqliteApprovalDesk(database, { pollMs: 0, now: () => new Date() });
    ({ approvalId } = await desk.request(request({ timeoutSeconds: 3600 }), "manual", { requester: "event:aws.guardduty", details: [[{ resource: "i-0abc", action: "ModifyInstanceAttribute groups", before: ["sg-web"], after: ["sg-quarantine"] }]] }));
  } finally {
    database.close();
  }
  writeFileSync(join(folder, "identities.yaml"), "identities:\n  alice: [IncidentLead]\n");
});

describe("--db on approvals, approve and reject", () => {
  it(
    "lists, shows and answers the approvals of a store named with --db",
    async () => {
      const list = await irflow("approvals", "--db", custom);
      expect(list).toMatchObject({ code: 0, stdout: expect.stringContaining(approvalId) });
      const show = await irflow("approvals", "show", approvalId, "--db", custom);
      expect(show).toMatchObject({ code: 0, stdout: expect.stringContaining("pending") });
      // As README writes it: the store options before the subcommand.
      const parentFirst = await irflow("approvals", "--db", custom, "show", approvalId, "--json");
      expect(JSON.parse(parentFirst.stdout)).toMatchObject({ id: approvalId, status: "pending" });
      const approved = await irflow("approve", approvalId, "--as", "alice", "--digest", DIGEST.slice(0, 12), "--reason", "host confirmed", "--db", custom);
      expect(approved).toMatchObject({ code: 0, stdout: expect.stringContaining("approved") });
      const again = await irflow("reject", approvalId, "--as", "alice", "--reason", "changed my mind", "--db", custom);
      expect(again).toMatchObject({ code: 1, stderr: expect.stringContaining("refused (already-decided)") });
    },
    TIMEOUT,
  );

  it(
    "the folder of a --db run is not its store: approvals --dir there is refused and creates no irflow.db",
    async () => {
      const wrong = await irflow("approvals", "--dir", folder);
      expect(wrong.code).toBe(2);
      expect(wrong.stderr).toContain(`no irflow store at ${join(folder, "irflow.db")} (irflow run or irflow demo creates it; --dir/--db name another)`);
      expect(wrong.stdout).not.toContain("no approvals waiting");
      expect(readdirSync(folder).sort()).toEqual(["custom.db", "identities.yaml"]);
    },
    TIMEOUT,
  );

  it(
    "approvals show --help lists --dir and --db; approve and reject help say --reason is required and give examples",
    async () => {
      const show = await irflow("approvals", "show", "--help");
      expect(show.stdout).toContain("--dir <folder>");
      expect(show.stdout).toContain("--db <file>");
      for (const command of ["approve", "reject"]) {
        const help = await irflow(command, "--help");
        expect(help.stdout).toContain("--db <file>");
        expect(help.stdout).toMatch(/--reason <text>\s+why \(required/);
        expect(help.stdout).toContain(`$ irflow ${command} apr-`);
      }
      for (const command of ["approvals", "executions", "history", "report"]) expect((await irflow(command, "--help")).stdout).toContain(`Examples:\n  $ irflow ${command}`);
      const report = (await irflow("report", "--help")).stdout.replace(/\s+/g, " ");
      expect(report).toContain("report as of now, from its audit log (the run wrote the one as of the incident's close");
      expect(report).not.toContain("the same report the run wrote");
    },
    TIMEOUT,
  );

  it(
    "incidents close --help lists --dir and --db, and either names the store before or after the subcommand",
    async () => {
      const help = await irflow("incidents", "close", "--help");
      expect(help.code).toBe(0);
      expect(help.stdout).toContain("  --dir <folder>   the local state folder that holds irflow.db (default:\n                   <project>/.irflow)\n");
      expect(help.stdout).toContain("  --db <file>      the embedded database file itself (wins over --dir)\n");
      const typo = join(root, "close-typo");
      const [after, before, db] = await Promise.all([
        irflow("incidents", "close", INCIDENT, "--reason", "why", "--dir", typo),
        irflow("incidents", "--dir", typo, "close", INCIDENT, "--reason", "why"),
        irflow("incidents", "close", INCIDENT, "--reason", "why", "--db", join(typo, "x.db")),
      ]);
      const noStore = (path: string) => ({ code: 2, stdout: "", stderr: `error: no irflow store at ${path} (irflow run or irflow demo creates it; --dir/--db name another)\n` });
      expect(after).toEqual(noStore(join(typo, "irflow.db")));
      expect(before).toEqual(noStore(join(typo, "irflow.db")));
      expect(db).toEqual(noStore(join(typo, "x.db")));
    },
    TIMEOUT,
  );

  it(
    "approvals --incident is checked like every other command's incident id (exit 2), saying the id's form",
    async () => {
      const garbage = await irflow("approvals", "--incident", "garbage", "--db", custom);
      expect(garbage).toEqual({
        code: 2,
        stdout: "",
        stderr: "error: --incident garbage: must be an irflow incident id: inc-YYYYMMDD-<12 hex> as irflow makes them (inc- then 8 to 60 lowercase letters, digits or hyphens)\n",
      });
    },
    TIMEOUT,
  );
});

describe("a store that is not there", () => {
  const commands: readonly (readonly string[])[] = [
    ["approvals"],
    ["approvals", "show", "apr-0123456789abcdef"],
    ["approve", "apr-0123456789abcdef", "--digest", "abcdefabcdef", "--reason", "ok", "--as", "alice"],
    ["reject", "apr-0123456789abcdef", "--reason", "no", "--as", "alice"],
    ["executions"],
    ["history", INCIDENT],
    ["incidents"],
    ["report", INCIDENT],
    ["verify", INCIDENT],
    ["abort", INCIDENT, "--reason", "drill", "--as", "alice"],
  ];

  it(
    "every reading or answering command refuses a mistyped --dir with exit 2, naming it, and creates nothing",
    async () => {
      const typo = join(root, "typo");
      const runs = await Promise.all(commands.map((args) => irflow(...args, "--dir", typo)));
      for (const [i, run] of runs.entries()) {
        expect({ command: commands[i]!.join(" "), code: run.code, stderr: run.stderr }).toEqual({
          command: commands[i]!.join(" "),
          code: 2,
          stderr: expect.stringContaining(`no irflow store at ${join(typo, "irflow.db")} (irflow run or irflow demo creates it; --dir/--db name another)`),
        });
      }
      expect(existsSync(typo)).toBe(false);
    },
    TIMEOUT,
  );

  it(
    "a malformed approval id is a usage error (exit 2) for show, approve and reject; an unknown one is 'no such approval' (exit 1)",
    async () => {
      const malformed = await Promise.all([["approvals", "show", "foo"], ["approve", "foo", "--digest", "abcdefabcdef", "--reason", "ok", "--as", "alice"], ["reject", "foo", "--reason", "no", "--as", "alice"]].map((args) => irflow(...args, "--db", custom)));
      for (const run of malformed) expect(run).toMatchObject({ code: 2, stderr: expect.stringContaining("error: foo: must be an approval id (apr-…)") });
      const unknown = await Promise.all([["approvals", "show", "apr-00000000-0000-4000-8000-000000000000"], ["approve", "apr-00000000-0000-4000-8000-000000000000", "--digest", "abcdefabcdef", "--reason", "ok", "--as", "alice"], ["reject", "apr-00000000-0000-4000-8000-000000000000", "--reason", "no", "--as", "alice"]].map((args) => irflow(...args, "--db", custom)));
      for (const run of unknown) {
        expect(run.code).toBe(1);
        expect(run.stderr).toContain("error: no such approval apr-00000000-0000-4000-8000-000000000000 in this database");
        expect(run.stderr).not.toContain("refused");
      }
    },
    TIMEOUT,
  );

  it(
    "approvals show names a rejection's authority, which the log keeps, as history does",
    async () => {
      const path = join(tempDir("irflow-cli-store-rejected-"), "irflow.db");
      const database = EmbeddedDatabase.open({ path });
      try {
        const desk = new SqliteApprovalDesk(database, { pollMs: 0, now: () => new Date(), audit: new SqliteAuditLog(database) });
        const { approvalId: rejected } = await desk.request(request({ timeoutSeconds: 3600 }), "manual", { requester: "event:aws.guardduty", details: [[{ resource: "i-0abc", action: "ModifyInstanceAttribute groups", before: ["sg-web"], after: ["sg-quarantine"] }]] });
        await desk.reject(rejected, { as: localIdentity("bob", ["IncidentLead"], { identities: {} }), reason: "wrong host" });
        const show = await irflow("approvals", "show", rejected, "--db", path);
        expect(show.code).toBe(0);
        expect(show.stderr).toBe("");
        expect(show.stdout).toMatch(/rejected by bob as IncidentLead \(claimed with --role\) at \S+: wrong host/);
        // The table changed after the answer: shown as it is, with the log's account beside it, exit 1.
        database.db.prepare("UPDATE approvals SET decided_by = 'ciso', comment = 'approved verbally' WHERE approval_id = ?").run(rejected);
        const tampered = await irflow("approvals", "show", rejected, "--db", path);
        expect(tampered.code).toBe(1);
        expect(tampered.stderr).toContain(`warning: the approvals table says rejected, but ${request().incidentId}'s audit log recorded rejected by bob: wrong host: the store was changed after the answer`);
        // The log's entry edited too: it fails verification, so neither it nor the row is called the record.
        database.db.prepare("UPDATE audit_log SET body = replace(body, 'wrong host', 'right host') WHERE incident_id = ? AND kind = 'approval.rejected'").run(request().incidentId);
        const both = await irflow("approvals", "show", rejected, "--db", path);
        expect(both.code).toBe(1);
        expect(both.stderr).toMatch(new RegExp(`warning: the audit log of ${request().incidentId} fails verification \\(entry \\d+: edited\\); what it records is not evidence. Run irflow verify ${request().incidentId}`));
        expect(both.stderr).toContain(`but ${request().incidentId}'s audit log recorded rejected by bob: right host; the log fails verification itself, so neither is the record (irflow verify ${request().incidentId})`);
        expect(both.stderr).not.toContain("the log is the record");
        // Row and log edited alike: they agree, and the log still fails verification.
        database.db.prepare("UPDATE approvals SET decided_by = 'bob', comment = 'right host' WHERE approval_id = ?").run(rejected);
        const agreeing = await irflow("approvals", "show", rejected, "--db", path);
        expect(agreeing.code).toBe(1);
        expect(agreeing.stderr).toContain(`fails verification (entry `);
        expect(agreeing.stderr).not.toContain("approvals table says");
      } finally {
        database.close();
      }
    },
    TIMEOUT,
  );

  it(
    "approvals warns (exit 1) of a pending row its incident's log contradicts: answered in the log, or another plan digest or approvers than the log's request",
    async () => {
      const path = join(tempDir("irflow-cli-store-pending-"), "irflow.db");
      const database = EmbeddedDatabase.open({ path });
      try {
        const desk = new SqliteApprovalDesk(database, { pollMs: 0, now: () => new Date(), audit: new SqliteAuditLog(database) });
        const plan = { requester: "event:aws.guardduty", details: [[{ resource: "i-0abc", action: "ModifyInstanceAttribute groups", before: ["sg-web"], after: ["sg-quarantine"] }]] };
        const { approvalId } = await desk.request(request({ timeoutSeconds: 3600 }), "manual", plan);
        const agreeing = await irflow("approvals", "--db", path);
        expect(agreeing).toMatchObject({ code: 0, stderr: "" });
        expect(agreeing.stdout).toContain(approvalId);

        // A plan swapped in the row, the one a responder reads before approving (the desk reads the request from its record).
        const digest = database.db.prepare<[string], { digest: string }>("SELECT json_extract(record, '$.digest') AS digest FROM approvals WHERE approval_id = ?").get(approvalId)!.digest;
        const edit = database.db.prepare<[string, string, string]>("UPDATE approvals SET record = json_set(record, ?, json(?)) WHERE approval_id = ?");
        edit.run("$.digest", JSON.stringify("f".repeat(64)), approvalId);
        const swapped = await irflow("approvals", "--db", path);
        expect(swapped.code).toBe(1);
        expect(swapped.stderr).toContain(`warning: the approvals table lists ${approvalId} pending, but ${request().incidentId}'s audit log recorded the request with plan digest ${digest}, not ${"f".repeat(64)}: the store was changed after the request`);
        expect(swapped.stdout).toContain(approvalId);
        edit.run("$.digest", JSON.stringify(digest), approvalId);
        edit.run("$.approvers", JSON.stringify(["arn:aws:iam::123456789012:role/Anyone"]), approvalId);
        const widened = await irflow("approvals", "--json", "--db", path);
        expect(widened.code).toBe(1);
        expect(widened.stderr).toContain("recorded the request for approvers ");
        expect(widened.stderr).toContain(", not arn:aws:iam::123456789012:role/Anyone: the store was changed after the request");

        // Rejected in the log, put back to pending in the table.
        const { approvalId: rejected } = await desk.request(request({ timeoutSeconds: 3600, stepId: "contain/revoke-the-rule", taskToken: "secret-task-token-456" }), "manual", plan);
        await desk.reject(rejected, { as: localIdentity("bob", ["IncidentLead"], { identities: {} }), reason: "wrong host" });
        database.db.prepare("UPDATE approvals SET status = 'pending', decided_at = NULL, decided_by = NULL, comment = NULL WHERE approval_id = ?").run(rejected);
        const reopened = await irflow("approvals", "--db", path);
        expect(reopened.code).toBe(1);
        expect(reopened.stderr).toMatch(new RegExp(`warning: the approvals table lists ${rejected} pending, but \\S+'s audit log recorded it rejected by bob at \\S+: wrong host: the store was changed after the request`));
        // And its log edited: a failing log is named, and vouches for nothing.
        database.db.prepare("UPDATE audit_log SET body = replace(body, 'wrong host', 'right host') WHERE kind = 'approval.rejected'").run();
        const unverified = await irflow("approvals", "--db", path);
        expect(unverified.code).toBe(1);
        expect(unverified.stderr).toMatch(/warning: the audit log of \S+ fails verification \(entry \d+: edited\); what it records is not evidence/);
        expect(unverified.stderr).toContain("; the log fails verification itself, so neither is the record (irflow verify ");
      } finally {
        database.close();
      }
    },
    TIMEOUT,
  );

  it(
    "a --dir that is a file is named, with exit 2 and no stack trace, by readers, answerers and runs alike",
    async () => {
      const file = join(root, "notes-not-a-folder");
      writeFileSync(file, "a file, not a folder");
      const runs = await Promise.all(
        [["incidents"], ["verify", "--all"], ["history", INCIDENT], ["approve", "apr-0123456789abcdef", "--digest", "abcdefabcdef", "--reason", "ok", "--as", "alice"], ["run", "ssh-rdp-brute-force", "--scenario", "test/scenarios/ssh-rdp-brute-force.yaml", "--approve"]].map((args) => irflow(...args, "--dir", file)),
      );
      for (const run of runs) {
        expect(run.code).toBe(2);
        expect(run.stderr).toMatch(new RegExp(`^error: cannot [a-z ]+ ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\S*: (a part of the path is a file, not a folder \\(ENOTDIR\\)|a file is in the way \\(EEXIST\\))`));
        expect(run.stderr).not.toMatch(/internal error|\n\s+at /);
      }
    },
    TIMEOUT,
  );

  it(
    "run and demo refuse, with exit 2 and no stack trace, a store file that is not SQLite, a folder in its place, another application's SQLite database (left untouched) and an empty --dir or --db",
    async () => {
      const notes = join(root, "run-notes.txt");
      writeFileSync(notes, "not a database at all; ".repeat(20));
      const folderInPlace = join(root, "folder-in-place");
      mkdirSync(join(folderInPlace, "irflow.db"), { recursive: true });
      const foreign = join(root, "foreign.db");
      const other = new Database(foreign);
      other.exec("CREATE TABLE notes (text TEXT)");
      other.close();
      const runs = await Promise.all([
        irflow("demo", "--approve", "--db", notes),
        irflow("run", "ssh-rdp-brute-force", "--scenario", "test/scenarios/ssh-rdp-brute-force.yaml", "--approve", "--dir", folderInPlace),
        irflow("demo", "--approve", "--db", foreign),
      ]);
      expect(runs.map((run) => [run.code, run.stderr])).toEqual([
        [2, `error: ${notes} is not an irflow store: not an SQLite database (--dir/--db name another)\n`],
        [2, `error: ${join(folderInPlace, "irflow.db")} is not an irflow store: unable to open database file (--dir/--db name another)\n`],
        [2, `error: ${foreign} is not an irflow store: an SQLite database without irflow's tables (irflow makes its store only in a new or empty file) (--dir/--db name another)\n`],
      ]);
      const untouched = new Database(foreign, { readonly: true });
      expect(untouched.prepare("SELECT name FROM sqlite_master").all()).toEqual([{ name: "notes" }]);
      untouched.close();
      const empty = await Promise.all([irflow("demo", "--approve", "--dir", ""), irflow("demo", "--approve", "--db", " "), irflow("incidents", "--dir", "")]);
      expect(empty.map((run) => [run.code, run.stderr])).toEqual([
        [2, "error: --dir needs a folder (the local state folder that holds irflow.db)\n"],
        [2, "error: --db needs a file (the embedded database)\n"],
        [2, "error: --dir needs a folder (the local state folder that holds irflow.db)\n"],
      ]);
    },
    TIMEOUT,
  );

  it(
    "a --db that is not SQLite is named, with exit 2 and no stack trace",
    async () => {
      const notes = join(root, "notes.txt");
      writeFileSync(notes, "not a database at all; ".repeat(20));
      const runs = await Promise.all([["approvals"], ["executions"], ["history", INCIDENT], ["approve", "apr-0123456789abcdef", "--digest", "abcdefabcdef", "--reason", "ok", "--as", "alice"]].map((args) => irflow(...args, "--db", notes)));
      for (const run of runs) {
        expect(run.code).toBe(2);
        expect(run.stderr).toContain(`${notes} is not an irflow store: not an SQLite database`);
        expect(run.stderr).not.toContain("internal error");
        expect(run.stderr).not.toMatch(/\n\s+at /);
      }
    },
    TIMEOUT,
  );
});
