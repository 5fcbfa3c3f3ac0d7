/** A responder told whether the run behind an approval is alive: a killed run's approval and incident, and a live one's. */
import { describe, expect, it } from "vitest";
import { killedAtApproval, recordLooksSuspended, startGatedRun, waitingAtApproval } from "../support/gated-run.js";
import { irflow } from "../support/irflow-cli.js";
import { SqliteApprovals } from "../../workflows/local/store/sqlite-approvals.js";
import { SqliteAuditLog } from "../../workflows/local/store/sqlite-audit-log.js";
import { SqliteHistory } from "../../workflows/local/store/sqlite-history.js";
import { SqliteIncidentStore } from "../../workflows/local/store/sqlite-incident-store.js";
import { readStore } from "../support/store-reads.js";
import { tempDir as makeTempDir } from "../support/temp-dir.js";

// Kept until the file is done, as before: a run's child process may still write after its test ends.
const tempDir = (): string => makeTempDir("irflow-cli-liveness-", "file");

const pendingApproval = (dir: string) => readStore(dir, (database) => new SqliteApprovals(database).pending()[0]!);

describe("a run killed while it waits at an approval", { timeout: 120_000 }, () => {
  it("is marked not alive in approvals and executions; approve records the decision and says nothing will act on it; incidents close needs no --force", async () => {
    const dir = tempDir();
    const { incidentId, pid } = await killedAtApproval(dir);
    const approval = pendingApproval(dir);

    const [listed, listedJson, executions] = await Promise.all([irflow("approvals", "--dir", dir), irflow("approvals", "--json", "--dir", dir), irflow("executions", "--incident", incidentId, "--dir", dir)]);
    expect(listed.stdout).toContain(`${approval.id}  ${incidentId}`);
    expect(listed.stdout).toContain("(run not alive)");
    expect(listed.stdout).toContain(`irflow incidents close ${incidentId} --reason <why>`);
    expect(JSON.parse(listedJson.stdout)).toEqual([expect.objectContaining({ id: approval.id, runAlive: false })]);
    expect(executions.stdout.match(/RUNNING \(run not alive\)/g)).toHaveLength(2);

    // approvals show says what approve would: the same notice, the same way out.
    const [shown, shownJson] = await Promise.all([irflow("approvals", "show", approval.id, "--dir", dir), irflow("approvals", "show", approval.id, "--json", "--dir", dir)]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`${approval.id}  pending`);
    expect(shown.stdout).toContain(`the run that waited for it is not alive (pid ${pid} on `);
    expect(shown.stdout).toContain(`nothing will act on this decision; close the incident with irflow incidents close ${incidentId} --reason <why>`);
    expect(JSON.parse(shownJson.stdout)).toMatchObject({ id: approval.id, status: "pending", runAlive: false, notice: expect.stringContaining("the run that waited for it is not alive") });

    const approved = await irflow("approve", approval.id, "--digest", approval.digest.slice(0, 12), "--reason", "key confirmed leaked", "--as", "bob", "--role", "IncidentResponder", "--dir", dir);
    expect(approved.stderr).toBe("");
    // The decision was recorded: exit 0.
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain(`approved: ${approval.id} by bob; recorded`);
    expect(approved.stdout).toContain(`the run that waited for it is not alive (pid ${pid} on `);
    expect(approved.stdout).toContain(`nothing will act on this decision; close the incident with irflow incidents close ${incidentId} --reason <why>`);
    expect(approved.stdout).not.toContain("resumes");
    expect(readStore(dir, (database) => new SqliteApprovals(database).view(approval.id)?.status)).toBe("approved");
    // Answered, it waits for no run: nothing to say.
    expect((await irflow("approvals", "show", approval.id, "--dir", dir)).stdout).not.toContain("not alive");

    const closed = await irflow("incidents", "close", incidentId, "--reason", "its terminal was closed", "--as", "bob", "--dir", dir);
    expect(closed.stderr).toBe("");
    expect(closed.code).toBe(0);
    expect(closed.stdout).toContain(`its run is gone (pid ${pid} on `);
    expect(closed.stdout).toContain(`closed  ${incidentId} as aborted by bob: its terminal was closed`);
    readStore(dir, (database) => {
      expect(new SqliteHistory(database).list({ incidentId, status: "RUNNING" })).toEqual([]);
      expect(new SqliteIncidentStore(database).incident(incidentId)).toMatchObject({ status: "closed" });
      // The answer that reached no run is kept, as too late, like one an abort overtook.
      expect(new SqliteApprovals(database).view(approval.id)).toMatchObject({ status: "withdrawn", withdrawal: { by: "bob", reason: "its terminal was closed", answer: { decision: "approved", by: "bob", reason: "key confirmed leaked" } } });
      const withdrawn = new SqliteAuditLog(database).entriesNow(incidentId).filter((e) => e.kind === "approval.withdrawn");
      expect(withdrawn).toEqual([expect.objectContaining({ actor: "bob", body: expect.objectContaining({ answer: { decision: "approved", by: "bob", reason: "key confirmed leaked" } }) })]);
    });
    expect((await irflow("verify", incidentId, "--dir", dir)).code).toBe(0);
  });
});

describe("a live run waiting at an approval", { timeout: 120_000 }, () => {
  it("still blocks incidents close without --force (pointing to irflow abort), is not marked, and an answer resumes it", async () => {
    const dir = tempDir();
    const run = startGatedRun(dir);
    try {
      const incidentId = await waitingAtApproval(dir);
      const approval = pendingApproval(dir);
      const refused = await irflow("incidents", "close", incidentId, "--reason", "wrong incident", "--as", "bob", "--dir", dir);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`${incidentId} is still run by a live process (pid ${run.child.pid} on `);
      expect(refused.stderr).toContain(`stop it with irflow abort ${incidentId} --reason <why>`);
      const [listed, executions] = await Promise.all([irflow("approvals", "--dir", dir), irflow("executions", "--dir", dir)]);
      expect(listed.stdout).toContain(approval.id);
      expect(listed.stdout).not.toContain("not alive");
      expect(executions.stdout).not.toContain("not alive");
      const shown = await irflow("approvals", "show", approval.id, "--dir", dir);
      expect(shown.stdout).toContain(`${approval.id}  pending`);
      expect(shown.stdout).not.toContain("alive");

      const rejected = await irflow("reject", approval.id, "--reason", "not that key", "--as", "bob", "--role", "IncidentResponder", "--dir", dir);
      expect(rejected.code).toBe(0);
      expect(rejected.stdout).toContain(`rejected: ${approval.id} by bob; the waiting run resumes`);
      expect(rejected.stdout).not.toContain("not alive");
      const exited = await run.exited;
      expect(exited.stdout).toContain("contain failed: rejected by bob: not that key");
      // The run closed the incident itself and ended its record.
      readStore(dir, (database) => expect(new SqliteIncidentStore(database).incident(incidentId)).toMatchObject({ status: "closed" }));
    } finally {
      run.child.kill("SIGKILL");
    }
  });
});

describe("a run whose liveness irflow cannot tell (its process exists, its heartbeat is stale)", { timeout: 120_000 }, () => {
  it("approvals show says it cannot tell, naming the process; no run-not-alive mark", async () => {
    const dir = tempDir();
    await killedAtApproval(dir);
    recordLooksSuspended(dir);
    const approval = pendingApproval(dir);
    const [shown, shownJson] = await Promise.all([irflow("approvals", "show", approval.id, "--dir", dir), irflow("approvals", "show", approval.id, "--json", "--dir", dir)]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`irflow cannot tell whether the run waiting for it is alive (pid ${process.pid} on `);
    expect(shown.stdout).toContain("the process exists but its heartbeat is stale): an answer resumes it only if it is");
    expect(shown.stdout).not.toContain("not alive");
    const json = JSON.parse(shownJson.stdout) as Record<string, unknown>;
    expect(json.notice).toEqual(expect.stringContaining("irflow cannot tell"));
    expect(json).not.toHaveProperty("runAlive");
  });
});
