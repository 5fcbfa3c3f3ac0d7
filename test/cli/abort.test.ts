/** `irflow abort` from a second terminal, and Ctrl-C / SIGTERM in the run's own, on temporary state folders. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GATED_RUNBOOK as RUNBOOK, killedAtApproval, recordLooksSuspended, startGatedRun, waitingAtApproval } from "../support/gated-run.js";
import { irflow } from "../support/irflow-cli.js";
import { ABORT_KIND } from "../../workflows/local/incident/abort-requests.js";
import { AbortWatch } from "../../workflows/local/incident/abort-watch.js";
import { EmbeddedDatabase } from "../../workflows/local/store/embedded-database.js";
import { SqliteAbortRequests } from "../../workflows/local/store/sqlite-abort-requests.js";
import { SqliteAuditLog } from "../../workflows/local/store/sqlite-audit-log.js";
import { SqliteHistory } from "../../workflows/local/store/sqlite-history.js";
import { RunnerHeartbeat } from "../../workflows/local/runner-heartbeat.js";
import { SqliteRunners } from "../../workflows/local/store/sqlite-runners.js";
import { tempDir as makeTempDir } from "../support/temp-dir.js";

// Kept until the file is done, as before: a run's child process may still write after its test ends.
const tempDir = (): string => makeTempDir("irflow-cli-abort-", "file");

/** The incident's approval ids, as any connection reads them. */
function approvalIdsOf(dir: string, incidentId: string): string[] {
  const database = EmbeddedDatabase.open({ dir });
  try {
    return database.db.prepare<[string], { approval_id: string }>("SELECT approval_id FROM approvals WHERE incident_id = ? ORDER BY rowid").all(incidentId).map((row) => row.approval_id);
  } finally {
    database.close();
  }
}

function statusesOf(dir: string, incidentId: string): Record<string, string> {
  const database = EmbeddedDatabase.open({ dir });
  try {
    return Object.fromEntries(new SqliteHistory(database).list({ incidentId }).map((e) => [e.machine ?? e.name, e.status]));
  } finally {
    database.close();
  }
}

/** What abort says of a target that is neither form: it takes both. */
const BOTH_FORMS = "must be an irflow incident id (inc-YYYYMMDD-<12 hex>) or a Step Functions execution ARN (arn:aws:states:<region>:<account>:execution:<machine>:<name>)";

describe("irflow abort", { timeout: 120_000 }, () => {
  it("refuses a target that is neither an incident id nor an execution ARN (exit 2), naming both forms, before any store is read", async () => {
    const dir = tempDir();
    const [garbage, short, arn] = await Promise.all([
      irflow("abort", "garbage", "--reason", "x", "--as", "bob", "--dir", dir),
      irflow("abort", "inc-nope", "--reason", "x", "--as", "bob", "--dir", dir),
      irflow("abort", "arn:aws:nope", "--reason", "x", "--as", "bob", "--dir", dir),
    ]);
    expect(garbage).toEqual({ code: 2, stdout: "", stderr: `error: garbage: ${BOTH_FORMS}\n` });
    expect(short).toEqual({ code: 2, stdout: "", stderr: `error: inc-nope: ${BOTH_FORMS}\n` });
    // What starts as an ARN is refused as one.
    expect(arn).toEqual({ code: 2, stdout: "", stderr: "error: arn:aws:nope: must be a Step Functions execution ARN\n" });
  });

  it("stops a run waiting at an approval in another process: the run exits aborted, the store and the audit log say who and why", async () => {
    const dir = tempDir();
    const run = startGatedRun(dir);
    const incidentId = await waitingAtApproval(dir);

    const aborted = await irflow("abort", incidentId, "--reason", "the key is a test key", "--as", "bob", "--dir", dir);
    expect(aborted).toMatchObject({ code: 0, stdout: expect.stringContaining("waiting for the run to stop…") });
    expect(aborted.stdout).toMatch(/stopped: taken by pid \d+/);

    const exited = await run.exited;
    expect(exited.code).toBe(1);
    expect(exited.stdout).toContain(`aborted  incident ${incidentId}`);
    expect(statusesOf(dir, incidentId)).toEqual({ [`irflow-${RUNBOOK}-incident`]: "ABORTED", [`irflow-${RUNBOOK}-detect`]: "SUCCEEDED", [`irflow-${RUNBOOK}-contain`]: "ABORTED" });
    const database = EmbeddedDatabase.open({ dir });
    const entries = new SqliteAuditLog(database).entriesNow(incidentId);
    database.close();
    expect(entries.find((e) => e.kind === ABORT_KIND.requested)).toMatchObject({ actor: "bob", body: { reason: "the key is a test key" } });
    expect(entries.find((e) => e.kind === "phase.ended" && e.body.phase === "contain")).toMatchObject({ body: { status: "ABORTED", cause: "aborted by bob: the key is a test key" } });
    // The request precedes its application in the chain, and the approval it waited at is not called expired.
    expect(entries.find((e) => e.kind === ABORT_KIND.requested)!.seq).toBeLessThan(entries.find((e) => e.kind === ABORT_KIND.applied)!.seq);
    expect(entries.map((e) => e.kind)).not.toContain("approval.expired");
    expect(entries.find((e) => e.kind === "approval.withdrawn")).toMatchObject({ body: { by: "bob", reason: "the key is a test key" } });

    // The approval it waited at reads as withdrawn, with who and why, and takes no answer.
    const [approvalId] = approvalIdsOf(dir, incidentId);
    const withdrawn = `approval ${approvalId} was withdrawn: the incident was aborted by bob: the key is a test key`;
    const [verified, shown, approved, rejected] = await Promise.all([
      irflow("verify", incidentId, "--dir", dir),
      irflow("approvals", "show", approvalId!, "--dir", dir),
      irflow("approve", approvalId!, "--digest", "0".repeat(12), "--reason", "late", "--as", "carol", "--dir", dir),
      irflow("reject", approvalId!, "--reason", "late", "--as", "carol", "--dir", dir),
    ]);
    // The chain with the new entry kind verifies.
    expect(verified.code).toBe(0);
    expect(shown).toMatchObject({ code: 0, stdout: expect.stringContaining(`${approvalId}  withdrawn`) });
    expect(shown.stdout).toMatch(/withdrawn at \S+: the incident was aborted by bob: the key is a test key/);
    expect(shown.stdout).not.toContain("expired");
    expect(approved).toMatchObject({ code: 1, stderr: expect.stringContaining(`refused (withdrawn): ${withdrawn}`) });
    expect(rejected).toMatchObject({ code: 1, stderr: expect.stringContaining(`refused (withdrawn): ${withdrawn}`) });

    // Nothing runs for it any more, and the errors a responder can make (independent: run side by side).
    const contain = `arn:aws:states:local:000000000000:execution:irflow-${RUNBOOK}-contain:${incidentId}-contain`;
    const recover = `arn:aws:states:local:000000000000:execution:irflow-${RUNBOOK}-recover:${incidentId}-recover`;
    const cases: [string[], number, string][] = [
      [[incidentId, "--reason", "again"], 1, `nothing running for ${incidentId}`],
      [[contain, "--reason", "again"], 1, "has already stopped (ABORTED)"],
      [[recover, "--reason", "x"], 1, `no execution ${recover}`],
      [["inc-00000000-000000000000", "--reason", "x"], 1, "no incident inc-00000000-000000000000"],
      [[incidentId], 2, "required option '--reason <text>'"],
      [[incidentId, "--reason", "  "], 2, "--reason must say why"],
      [["INC-1", "--reason", "x"], 2, `INC-1: ${BOTH_FORMS}`],
      [["arn:aws:nope", "--reason", "x"], 2, "must be a Step Functions execution ARN"],
      [[incidentId, "--reason", "x", "--timeout", "0"], 2, "--timeout 0"],
    ];
    const answers = await Promise.all(cases.map(([args]) => irflow("abort", ...args, "--dir", dir)));
    answers.forEach((answer, index) => expect(answer, cases[index]![0].join(" ")).toMatchObject({ code: cases[index]![1], stderr: expect.stringContaining(cases[index]![2]) }));
    expect(await irflow("abort", incidentId, "--reason", "x", "--dir", tempDir())).toMatchObject({ code: 2, stderr: expect.stringContaining("no irflow store at") });
  });

  it("refuses at once, recording nothing, when the run was killed (no process would take the request), and points to incidents close", async () => {
    const dir = tempDir();
    const { incidentId, pid } = await killedAtApproval(dir);

    const started = Date.now();
    const [waited, noWait] = await Promise.all([
      irflow("abort", incidentId, "--reason", "stale", "--timeout", "30", "--dir", dir),
      irflow("abort", incidentId, "--reason", "stale", "--no-wait", "--dir", dir),
    ]);
    // Not after its --timeout: there is nothing to wait for.
    expect(Date.now() - started).toBeLessThan(20_000);
    for (const answer of [waited, noWait]) {
      expect(answer.code).toBe(1);
      expect(answer.stdout).toBe("");
      expect(answer.stderr).toContain(`nothing aborted: the run that holds ${incidentId}'s running executions is not alive (pid ${pid} on `);
      expect(answer.stderr).toContain(`close the incident with irflow incidents close ${incidentId} --reason <why> (no --force needed)`);
    }
    const database = EmbeddedDatabase.open({ dir });
    try {
      expect(new SqliteAbortRequests(database).untaken()).toEqual([]);
      expect(new SqliteAuditLog(database).entriesNow(incidentId).map((e) => e.kind)).not.toContain(ABORT_KIND.requested);
    } finally {
      database.close();
    }
    // As it says: the incident closes without --force.
    expect(await irflow("incidents", "close", incidentId, "--reason", "its terminal was killed", "--as", "bob", "--dir", dir)).toMatchObject({ code: 0, stderr: "" });
  });

  it("when it cannot tell whether the run is alive (the process exists, its heartbeat is stale), requests and waits as before, and says the run may not be alive", async () => {
    const dir = tempDir();
    const { incidentId } = await killedAtApproval(dir);
    recordLooksSuspended(dir);
    const maybe = `the run may not be alive: irflow cannot tell (pid ${process.pid} on `;

    const timedOut = await irflow("abort", incidentId, "--reason", "stale", "--timeout", "0.5", "--dir", dir);
    expect(timedOut.code).toBe(1);
    expect(timedOut.stdout).toContain(maybe);
    expect(timedOut.stdout).toContain(`the process exists but its heartbeat is stale); if its process died, irflow incidents close ${incidentId} --reason <why> --force`);
    expect(timedOut.stderr).toContain("no running process took the request in 0.5 s; it stays recorded as abt-");
    const noWait = await irflow("abort", incidentId, "--reason", "stale", "--no-wait", "--dir", dir);
    expect(noWait).toMatchObject({ code: 0, stdout: expect.stringContaining("abort requested") });
    expect(noWait.stdout).toContain(maybe);
    expect(noWait.stdout).not.toContain("waiting for the run");
  });
});

describe("irflow abort when the running process cannot carry out the request", { timeout: 120_000 }, () => {
  it("exits 1 at once with the reason the process gave the request back, not 'no running process took the request'", async () => {
    const dir = tempDir();
    const { incidentId } = await killedAtApproval(dir);
    // A process that serves the request but fails to stop its executions, as a run's watch would;
    // it holds them (its live record is theirs), or abort would say at once that no run is alive.
    const database = EmbeddedDatabase.open({ dir });
    const heartbeat = RunnerHeartbeat.start(new SqliteRunners(database));
    database.db.prepare("UPDATE executions SET runner_id = ? WHERE incident_id = ?").run(heartbeat.runnerId, incidentId);
    const watch = new AbortWatch({ store: new SqliteAbortRequests(database), serves: () => true, apply: () => Promise.reject(new Error("the engine is gone")), pollMs: 20 });
    watch.start();
    try {
      const started = Date.now();
      const answer = await irflow("abort", incidentId, "--reason", "stale", "--as", "bob", "--timeout", "30", "--dir", dir);
      expect(answer.code).toBe(1);
      expect(answer.stderr).toMatch(/the running process could not carry out the request: the engine is gone \(pid \d+ on .+ gave it back at \S+\) \(the request stays recorded as abt-/);
      expect(answer.stderr).not.toContain("no running process took the request");
      // Its executions are listed as they are: still RUNNING in the store.
      expect(answer.stdout).toContain("RUNNING");
      // Not after waiting out its --timeout: the given-back request says all there is to say.
      expect(Date.now() - started).toBeLessThan(20_000);
    } finally {
      watch.stop();
      heartbeat.stop();
      database.close();
    }
  });
});

describe("--help", { timeout: 60_000 }, () => {
  it("says that the run whose incident is aborted from another terminal exits 1", async () => {
    const [run, abort] = await Promise.all([irflow("run", "--help"), irflow("abort", "--help")]);
    expect(run.stdout).toContain('from another terminal: the run then prints "aborted" and exits 1.');
    expect(abort.stdout).toContain('The irflow run whose incident is aborted\nprints "aborted" and exits 1.');
  });
});

describe("Ctrl-C during irflow run", { timeout: 120_000 }, () => {
  it.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const)("%s aborts the waiting incident, writes its end and exits %i", async (signal, code) => {
    const dir = tempDir();
    const run = startGatedRun(dir);
    const incidentId = await waitingAtApproval(dir);
    run.child.kill(signal);
    const exited = await run.exited;
    expect(exited.code).toBe(code);
    expect(exited.stdout).toContain(`aborted (${signal})  incident ${incidentId}`);
    // The hint reads the same store as the run (its --dir), not the default one.
    expect(exited.stdout).toContain(`irflow history ${incidentId} --dir ${dir} shows what ran and who stopped it`);
    // The interrupted incident is closed with its report, and the run says where, as every other ending does.
    const report = /\n {2}report: (\S+)\n/.exec(exited.stdout)?.[1];
    expect(report).toBe(join(dir, "reports", `${incidentId}.md`));
    expect(readFileSync(report!, "utf8")).toContain(incidentId);
    expect(statusesOf(dir, incidentId)).toMatchObject({ [`irflow-${RUNBOOK}-incident`]: "ABORTED", [`irflow-${RUNBOOK}-contain`]: "ABORTED" });
    const database = EmbeddedDatabase.open({ dir });
    const entries = new SqliteAuditLog(database).entriesNow(incidentId);
    database.close();
    expect(entries.find((e) => e.kind === ABORT_KIND.applied)).toMatchObject({ body: { requestedBy: "alice", reason: `interrupted (${signal})` } });
    expect(entries.find((e) => e.kind === "approval.withdrawn")).toMatchObject({ body: { by: "alice", reason: `interrupted (${signal})` } });
  });
});
