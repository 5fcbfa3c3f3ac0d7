/** `irflow demo --db` and `irflow executions` as a responder runs them: two processes on one database file. */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { formatDuration } from "../../cli/commands/executions.js";
import { EmbeddedDatabase } from "../../workflows/local/store/embedded-database.js";
import { copyOfStore } from "../support/store-reads.js";
import { tempDir } from "../support/temp-dir.js";

const PROJECT_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const TIMEOUT = 60_000;
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[`);

function irflow(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
  delete env.FORCE_COLOR;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["bin/irflow.mjs", ...args], { cwd: PROJECT_ROOT, env, timeout: TIMEOUT }, (error, stdout, stderr) => {
      if (error && typeof error.code !== "number") reject(new Error(`irflow ${args.join(" ")}: ${error.message}\n${stderr}`));
      else resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}

const dir = tempDir("irflow-cli-executions-");
const db = join(dir, "irflow.db");

describe("irflow executions", () => {
  it(
    "lists what another process ran on the database, filtered by incident and status, as a table or JSON",
    async () => {
      const missing = await irflow("executions", "--db", db);
      expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining(`no irflow store at ${db}`) });

      const demo = await irflow("demo", "--approve", "--db", db);
      expect(demo.code).toBe(0);
      const incidentId = /resolved {2}incident (inc-\S+)/.exec(demo.stdout)?.[1];
      expect(incidentId).toBeDefined();

      const table = await irflow("executions", "--db", db);
      expect(table.code).toBe(0);
      expect(table.stdout).not.toMatch(ANSI);
      const lines = table.stdout.trimEnd().split("\n");
      expect(lines[0]).toMatch(/^NAME\s+MACHINE\s+STATUS\s+STARTED\s+STOPPED\s+DURATION\s+INCIDENT$/);
      expect(lines).toHaveLength(7);
      expect(lines[3]).toMatch(new RegExp(`^${incidentId}-contain\\s+irflow-ssh-rdp-brute-force-contain\\s+SUCCEEDED\\s+\\S+Z\\s+\\S+Z\\s+\\d+(\\.\\d)? m?s\\s+${incidentId}$`));

      const json = await irflow("executions", "--db", db, "--incident", incidentId!, "--status", "succeeded", "--json");
      const rows = JSON.parse(json.stdout) as { machine: string; status: string; durationMs: number; incidentId: string }[];
      expect(rows.map((r) => r.machine.replace("irflow-ssh-rdp-brute-force-", ""))).toEqual(["incident", "detect", "contain", "eradicate", "recover", "post-incident"]);
      expect(rows.every((r) => r.status === "SUCCEEDED" && r.durationMs >= 0 && r.incidentId === incidentId)).toBe(true);

      expect((await irflow("executions", "--db", db, "--status", "failed")).stdout).toBe("no executions\n");
      expect((await irflow("executions", "--db", db, "--incident", "inc-20991231-000000000000", "--json")).stdout).toBe("[]\n");
    },
    TIMEOUT,
  );

  it(
    "marks and warns about an ended execution whose stored status differs from the end its incident's log recorded (exit 1)",
    async () => {
      const copy = copyOfStore(db, "irflow-cli-executions-tampered-");
      const database = EmbeddedDatabase.open({ path: copy });
      const contain = database.db.prepare<[], { execution_arn: string; incident_id: string }>("SELECT execution_arn, incident_id FROM executions WHERE execution_arn LIKE '%-contain:%'").get()!;
      database.db.prepare("UPDATE executions SET status = 'FAILED' WHERE execution_arn = ?").run(contain.execution_arn);
      database.close();
      const table = await irflow("executions", "--db", copy);
      expect(table.code).toBe(1);
      expect(table.stderr).toContain(`warning: 1 execution's status differs from what its incident's audit log recorded: the store was changed after the run, and the log is the record (irflow history ${contain.incident_id})`);
      expect(table.stdout).toMatch(/-contain\s+irflow-ssh-rdp-brute-force-contain\s+FAILED \(the log says SUCCEEDED\)\s/);
      const json = JSON.parse((await irflow("executions", "--db", copy, "--json")).stdout) as { executionArn: string; loggedStatus?: string }[];
      expect(json.filter((row) => row.loggedStatus !== undefined)).toEqual([expect.objectContaining({ executionArn: contain.execution_arn, loggedStatus: "SUCCEEDED" })]);

      // The log edited as well: it fails verification, so it is not called the record either.
      const both = EmbeddedDatabase.open({ path: copy });
      both.db.prepare("UPDATE audit_log SET body = replace(body, 'SUCCEEDED', 'SUCCEEDED ') WHERE incident_id = ? AND kind = 'phase.ended' AND body LIKE '%-contain%'").run(contain.incident_id);
      both.close();
      const edited = await irflow("executions", "--db", copy);
      expect(edited.code).toBe(1);
      expect(edited.stderr).toContain(`warning: 1 execution's status differs from what its incident's audit log recorded; the log fails verification itself, so neither is the record (irflow verify ${contain.incident_id})`);
      expect(edited.stderr).not.toContain("the log is the record");
    },
    TIMEOUT,
  );

  it(
    "refuses an unknown status or a malformed incident id (exit 2)",
    async () => {
      const status = await irflow("executions", "--db", db, "--status", "done");
      expect(status.code).toBe(2);
      expect(status.stderr).toContain("Allowed choices are running, succeeded, failed, aborted, timed-out");
      // The id's form, also for one that starts as it should (inc-nope is too short to be one).
      for (const id of ["INC-1", "inc-nope"]) {
        const incident = await irflow("executions", "--db", db, "--incident", id);
        expect(incident.code).toBe(2);
        expect(incident.stderr).toBe(`error: --incident ${id}: must be an irflow incident id: inc-YYYYMMDD-<12 hex> as irflow makes them (inc- then 8 to 60 lowercase letters, digits or hyphens)\n`);
      }
    },
    TIMEOUT,
  );
});

describe("formatDuration", () => {
  it("reads like a person would say it", () => {
    expect([0, 850, 4210, 185_000, 7_440_000].map(formatDuration)).toEqual(["0 ms", "850 ms", "4.2 s", "3 min 5 s", "2 h 4 min"]);
  });
});
