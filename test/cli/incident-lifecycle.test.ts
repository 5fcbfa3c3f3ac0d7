/** Stopped runs never leave their incident open: SIGHUP like SIGTERM, and `irflow incidents close` for a killed run. */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GATED_RUNBOOK as RUNBOOK, killedAtApproval, startGatedRun, waitingAtApproval } from "../support/gated-run.js";
import { irflow } from "../support/irflow-cli.js";
import { SqliteApprovals } from "../../workflows/local/store/sqlite-approvals.js";
import { SqliteAuditLog } from "../../workflows/local/store/sqlite-audit-log.js";
import { SqliteHistory } from "../../workflows/local/store/sqlite-history.js";
import { SqliteIncidentStore } from "../../workflows/local/store/sqlite-incident-store.js";
import { readStore } from "../support/store-reads.js";
import { tempDir as makeTempDir } from "../support/temp-dir.js";

// Kept until the file is done, as before: a run's child process may still write after its test ends.
const tempDir = (): string => makeTempDir("irflow-cli-lifecycle-", "file");

interface Row {
  incidentId: string;
  status: string;
  outcome: string;
}

describe("SIGHUP during irflow run", { timeout: 120_000 }, () => {
  it("stops the run like SIGTERM (exit 129), and the run closes the aborted incident with its report", async () => {
    const dir = tempDir();
    const run = startGatedRun(dir);
    const incidentId = await waitingAtApproval(dir);
    run.child.kill("SIGHUP");
    const exited = await run.exited;
    expect(exited.code).toBe(129);
    expect(exited.stdout).toContain(`aborted (SIGHUP)  incident ${incidentId}`);
    const statuses = readStore(dir, (database) => Object.fromEntries(new SqliteHistory(database).list({ incidentId }).map((e): [string, string] => [e.machine ?? e.name, e.status])));
    expect(statuses).toMatchObject({ [`irflow-${RUNBOOK}-incident`]: "ABORTED", [`irflow-${RUNBOOK}-contain`]: "ABORTED" });
    const closed = readStore(dir, (database) => new SqliteAuditLog(database).entriesNow(incidentId).find((e) => e.kind === "incident.closed"));
    expect(closed?.body).toMatchObject({ status: "aborted", stopped: { execution: "ABORTED", by: "alice", reason: "interrupted (SIGHUP)" } });
    expect(existsSync(join(dir, "reports", `${incidentId}.md`))).toBe(true);
    const listed = await irflow("incidents", "--json", "--dir", dir);
    expect(JSON.parse(listed.stdout) as Row[]).toEqual([expect.objectContaining({ incidentId, status: "closed", outcome: "aborted" })]);
    const report = await irflow("report", incidentId, "--dir", dir);
    expect(report.stdout).toContain("The incident was aborted by alice: interrupted (SIGHUP).");
    expect(report.stdout).not.toContain("interim");
  });
});

describe("irflow incidents close", { timeout: 120_000 }, () => {
  it("closes what a killed run left open: refuses while executions are RUNNING unless --force, then ends them ABORTED, withdraws the approval, closes the incident as aborted with its report", async () => {
    const dir = tempDir();
    const { incidentId } = await killedAtApproval(dir);
    // As an irflow before the liveness record wrote them: executions that name no process, which
    // irflow cannot judge (test/cli/run-liveness.test.ts closes a killed run's without --force).
    readStore(dir, (database) => database.db.prepare("UPDATE executions SET runner_id = NULL").run());
    expect((JSON.parse((await irflow("incidents", "--json", "--dir", dir)).stdout) as Row[])[0]).toMatchObject({ incidentId, status: "open" });

    const refused = await irflow("incidents", "close", incidentId, "--reason", "the host rebooted", "--as", "bob", "--dir", dir);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${incidentId} has 2 executions RUNNING in the store, and irflow cannot tell whether a process still runs them`);
    expect(refused.stderr).toContain(`irflow abort ${incidentId} --reason <why>`);
    expect(refused.stderr).toContain("--force");
    expect(readStore(dir, (database) => new SqliteHistory(database).list({ incidentId, status: "RUNNING" }))).toHaveLength(2);

    const closed = await irflow("incidents", "close", incidentId, "--reason", "the host rebooted", "--as", "bob", "--force", "--dir", dir);
    expect(closed.stderr).toBe("");
    expect(closed.code).toBe(0);
    expect(closed.stdout).toContain(`closed  ${incidentId} as aborted by bob: the host rebooted`);
    expect(closed.stdout).toContain(`report: ${join(dir, "reports", `${incidentId}.md`)}`);

    const cause = "closed by bob: the host rebooted";
    readStore(dir, (database) => {
      const history = new SqliteHistory(database);
      const executions = history.list({ incidentId });
      expect(executions.filter((e) => e.status === "RUNNING")).toEqual([]);
      for (const execution of executions.filter((e) => e.status === "ABORTED")) expect(history.events(execution.executionArn).at(-1)).toMatchObject({ type: "ExecutionAborted", details: { cause } });
      expect(executions.filter((e) => e.status === "ABORTED")).toHaveLength(2);
      expect(new SqliteApprovals(database).pending()).toEqual([]);
      expect(new SqliteIncidentStore(database).incident(incidentId)).toMatchObject({ status: "closed" });
      const entries = new SqliteAuditLog(database).entriesNow(incidentId);
      expect(entries.find((e) => e.kind === "approval.withdrawn")).toMatchObject({ actor: "bob", body: expect.objectContaining({ by: "bob", reason: "the host rebooted" }) });
      expect(entries.find((e) => e.kind === "phase.ended" && e.body.phase === "contain")).toMatchObject({ body: { status: "ABORTED", cause } });
      // Each execution it ended has its history digest in the log, as a run records its own.
      const archived = entries.filter((e) => e.kind === "execution.archived").map((e) => e.body.executionArn);
      for (const execution of executions.filter((e) => e.status === "ABORTED")) expect(archived).toContain(execution.executionArn);
      expect(entries.find((e) => e.kind === "incident.closed")).toMatchObject({ actor: "bob", body: { status: "aborted", stopped: { execution: "RUNNING", by: "bob", reason: "the host rebooted" } } });
    });
    const markdown = readFileSync(join(dir, "reports", `${incidentId}.md`), "utf8");
    expect(markdown).toContain("- Outcome: **ABORTED** (aborted by bob: the host rebooted)");
    expect(markdown).toContain("Its run stopped before the post-incident phase (its process died with the executions still RUNNING); bob closed it and wrote this report.");
    expect(existsSync(join(dir, "reports", `${incidentId}.html`))).toBe(true);

    const [listed, verified, again] = await Promise.all([
      irflow("incidents", "--json", "--dir", dir),
      irflow("verify", incidentId, "--dir", dir),
      irflow("incidents", "close", incidentId, "--reason", "again", "--as", "bob", "--dir", dir),
    ]);
    expect((JSON.parse(listed.stdout) as Row[])[0]).toMatchObject({ incidentId, status: "closed", outcome: "aborted" });
    expect(verified.code).toBe(0);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(new RegExp(`${incidentId} was closed at \\S+ \\(aborted\\); irflow report ${incidentId} shows how it ended`));
  });

  it("an unknown incident exits 1; a blank or missing --reason and a malformed id are usage errors (exit 2)", async () => {
    const dir = tempDir();
    const { incidentId } = await killedAtApproval(dir);
    const [unknown, blank, missing, malformed] = await Promise.all([
      irflow("incidents", "close", "inc-0000000000000000", "--reason", "why", "--dir", dir),
      irflow("incidents", "close", incidentId, "--reason", "  ", "--dir", dir),
      irflow("incidents", "close", incidentId, "--dir", dir),
      irflow("incidents", "close", "INC-1", "--reason", "why", "--dir", dir),
    ]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("no audit log for inc-0000000000000000 in this database");
    expect(blank.code).toBe(2);
    expect(blank.stderr).toContain("--reason must say why the incident is closed");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--reason");
    expect(malformed.code).toBe(2);
    // Nothing was changed by the refusals.
    expect(readStore(dir, (database) => new SqliteHistory(database).list({ incidentId, status: "RUNNING" }))).toHaveLength(2);
  });
});
