/** `irflow run` on a (pseudo-)terminal: the approval prompt answered, and Ctrl-C typed at it. */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { EmbeddedDatabase } from "../../workflows/local/store/embedded-database.js";
import { SqliteAuditLog } from "../../workflows/local/store/sqlite-audit-log.js";
import { SqliteHistory } from "../../workflows/local/store/sqlite-history.js";
import { APPROVE_PROMPT, hasScript, onTerminal } from "../support/pseudo-terminal.js";
import { tempDir } from "../support/temp-dir.js";

const PROJECT_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const RUNBOOK = "iam-access-key-compromise";
const SCENARIO = `test/scenarios/${RUNBOOK}.yaml`;
const PROMPT = APPROVE_PROMPT;

/** The gated runbook on a pseudo-terminal, in a fresh state folder, answering as `as`. */
function runOnTerminal(answer: (prompt: string, count: number) => string, as: readonly string[] = ["--as", "alice", "--role", "IncidentResponder"]) {
  // Kept until the file is done, as before: the terminal's child process may outlive its test.
  const dir = tempDir("irflow-cli-tty-", "file");
  return { dir, ...onTerminal(["run", RUNBOOK, "--scenario", SCENARIO, ...as, "--dir", dir], answer) };
}

/** Runs a command irflow printed, pasted as-is into a shell in a second terminal (`irflow` being this checkout's). */
function pasted(line: string): string {
  return execFileSync("sh", ["-c", line.trim().replace(/^irflow /, `"${process.execPath}" bin/irflow.mjs `)], { cwd: PROJECT_ROOT, env: { ...process.env, NO_COLOR: "1" }, encoding: "utf8" });
}

/** Answers an approval from a second process, as bob (an IncidentResponder). */
function rejectAsBob(id: string, dir: string): string {
  return execFileSync(process.execPath, ["bin/irflow.mjs", "reject", id, "--reason", "not this key", "--as", "bob", "--role", "IncidentResponder", "--dir", dir], { cwd: PROJECT_ROOT, env: { ...process.env, NO_COLOR: "1" }, encoding: "utf8" });
}

describe.skipIf(!hasScript)("irflow run on a terminal", { timeout: 120_000 }, () => {
  it("asks at each approval (a bare Enter asks again, it does not reject) and goes on with the answers typed, to a resolved incident and its report", async () => {
    const { exited } = runOnTerminal((prompt, count) => (prompt === PROMPT ? (count === 1 ? "\r" : "y\r") : `checked the key's use, answer ${count}\r`));
    const { code, screen } = await exited;
    expect(screen).toContain("approval needed: Deactivate the access key");
    expect(screen).toContain("type y (approve), n (reject) or l (later: leave it to another terminal)");
    expect(screen).not.toContain("rejected");
    expect(screen).toContain("approved: Deactivate the access key by alice: checked the key's use, answer 1");
    expect(screen).toMatch(/resolved {2}incident inc-\S+/);
    expect(screen).toMatch(/report: \S+\.md/);
    expect(code).toBe(0);
  });

  it("l leaves the approval to another terminal with the exact commands, which work pasted as-is; the answer given there ends the run in words", async () => {
    const { exited, until } = runOnTerminal(() => "l\r");
    const [, digest, reject] = await until(/left for another terminal; answer it there with:\n\s+irflow approve apr-\S+ --digest ([0-9a-f]{12}) --reason "…" --as alice --role IncidentResponder --dir \S+\n\s+(irflow reject apr-\S+ --reason "…" --as alice --role IncidentResponder --dir \S+)\n/);
    expect(digest).toHaveLength(12);
    expect(pasted(reject!)).toContain("rejected");
    const { code, screen } = await exited;
    expect(screen.split(PROMPT)).toHaveLength(2);
    expect(screen).toContain("rejected: Deactivate the access key by alice: …");
    expect(screen).toMatch(/failed {2}incident inc-\S+\n {2}contain failed: rejected by alice: …\n/);
    expect(code).toBe(1);
  });

  it("stops asking when the approval is answered from another terminal while the prompt waits", async () => {
    const { dir, exited, until } = runOnTerminal(() => "");
    const [, id] = await until(/ id (apr-\S+) {2}digest/);
    await until(/approve\? \[y\/n\/l\]\s*$/);
    rejectAsBob(id!, dir);
    const { code, screen } = await exited;
    expect(screen).toContain("rejected: Deactivate the access key by bob: not this key");
    expect(screen).toMatch(/contain failed: rejected by bob: not this key/);
    expect(code).toBe(1);
  });

  it("does not ask someone who may not answer: it says who may and how to answer as them", async () => {
    const { dir, exited, until } = runOnTerminal(() => "y\r", ["--as", "carol", "--role", "Auditor"]);
    await until(/not asked here: carol \(Auditor\) may not answer this step; approvers: IncidentResponder/);
    const [, id] = await until(/irflow approve (apr-\S+) --digest [0-9a-f]{12} --reason "…" --as carol --role IncidentResponder --dir \S+/);
    await until(/identities\.yaml, or start the run with --as carol --role IncidentResponder to be asked here/);
    rejectAsBob(id!, dir);
    const { code, screen } = await exited;
    expect(screen).not.toContain(PROMPT);
    expect(screen).not.toContain("refused (not-allowed)");
    expect(screen).toContain("rejected: Deactivate the access key by bob: not this key");
    expect(code).toBe(1);
  });

  it("stops the run on Ctrl-C typed at the prompt: the incident is aborted, its end stored, exit 130", async () => {
    const { dir, exited } = runOnTerminal(() => "\x03");
    const { code, screen } = await exited;
    expect(screen).toContain(PROMPT);
    expect(screen).toContain("aborted (SIGINT)");
    expect(code).toBe(130);
    const database = EmbeddedDatabase.open({ dir });
    try {
      const executions = new SqliteHistory(database).list();
      const incidentId = executions[0]?.incidentId;
      expect(incidentId).toBeDefined();
      expect(executions.filter((e) => e.status === "RUNNING")).toEqual([]);
      expect(executions.find((e) => e.machine?.endsWith("-incident"))?.status).toBe("ABORTED");
      const kinds = new SqliteAuditLog(database).entriesNow(incidentId!).map((e) => e.kind);
      expect(kinds).toContain("abort.applied");
      expect(kinds).not.toContain("approval.approved");
    } finally {
      database.close();
    }
  });
});
