/**
 * `irflow run` on a terminal: the approval prompt answered, and Ctrl-C typed at it. util-linux's
 * `script` gives the run a pseudo-terminal, so readline is in raw mode as on a responder's
 * screen and Ctrl-C arrives as a keystroke, not as a signal sent by the test.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { stripVTControlCharacters } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { EmbeddedDatabase } from "../../workflows/local/store/embedded-database.js";
import { SqliteAuditLog } from "../../workflows/local/store/sqlite-audit-log.js";
import { SqliteHistory } from "../../workflows/local/store/sqlite-history.js";

const PROJECT_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const RUNBOOK = "iam-access-key-compromise";
const SCENARIO = `test/scenarios/${RUNBOOK}.yaml`;
const PROMPT = "approve? [y/N]";
const REASON = "reason:";

const hasScript = (() => {
  try {
    execFileSync("script", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

const folders: string[] = [];
afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

/** What the terminal showed, without carriage returns and cursor moves. */
const plain = (text: string): string => stripVTControlCharacters(text.replace(/\r/g, ""));

/**
 * Runs the gated runbook on a pseudo-terminal; `answer` is asked what to type each time the screen
 * ends with a prompt it has not answered yet (the prompt's text and how many of it came before).
 */
function onTerminal(answer: (prompt: string, count: number) => string) {
  const dir = mkdtempSync(join(tmpdir(), "irflow-cli-tty-"));
  folders.push(dir);
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", TERM: "dumb" };
  delete env.FORCE_COLOR;
  const command = [process.execPath, "bin/irflow.mjs", "run", RUNBOOK, "--scenario", SCENARIO, "--as", "alice", "--role", "IncidentResponder", "--dir", dir].join(" ");
  // -e: script exits with the run's own code; -f: output as it comes.
  const child = spawn("script", ["-qfec", command, "/dev/null"], { cwd: PROJECT_ROOT, env, stdio: ["pipe", "pipe", "pipe"] });
  let screen = "";
  const answered = new Map<string, number>();
  child.stdout.on("data", (chunk: Buffer) => {
    screen += chunk.toString();
    const shown = plain(screen).trimEnd();
    for (const prompt of [PROMPT, REASON]) {
      const count = shown.split(prompt).length - 1;
      if (shown.endsWith(prompt) && count > (answered.get(prompt) ?? 0)) {
        answered.set(prompt, count);
        child.stdin.write(answer(prompt, count));
      }
    }
  });
  const exited = new Promise<{ code: number | null; screen: string }>((resolve) => child.on("exit", (code) => resolve({ code, screen: plain(screen) })));
  return { dir, exited };
}

describe.skipIf(!hasScript)("irflow run on a terminal", { timeout: 120_000 }, () => {
  it("asks at each approval and goes on with the answers typed, to a resolved incident and its report", async () => {
    const { exited } = onTerminal((prompt, count) => (prompt === PROMPT ? "y\r" : `checked the key's use, answer ${count}\r`));
    const { code, screen } = await exited;
    expect(screen).toContain("approval needed: Deactivate the access key");
    expect(screen).toMatch(/resolved {2}incident inc-\S+/);
    expect(screen).toMatch(/report: \S+\.md/);
    expect(code).toBe(0);
  });

  it("stops the run on Ctrl-C typed at the prompt: the incident is aborted, its end stored, exit 130", async () => {
    const { dir, exited } = onTerminal(() => "\x03");
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
