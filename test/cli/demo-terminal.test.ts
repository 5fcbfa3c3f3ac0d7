/**
 * `irflow demo` on a terminal: the demo's one approval (closing SSH to the internet) is asked at
 * the prompt, answered, and the report names who approved. util-linux's `script` gives the demo a
 * pseudo-terminal, as on a responder's screen.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { stripVTControlCharacters } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const PROJECT_ROOT = fileURLToPath(new URL("../..", import.meta.url));
// The question's options may grow (y/N, y/n/l); what it asks does not.
const PROMPT = /approve\? \[y\/[^\]]*\]\s*$/;
const REASON = /reason:\s*$/;

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

const plain = (text: string): string => stripVTControlCharacters(text.replace(/\r/g, ""));

/** Runs the demo on a pseudo-terminal, typing `approve` at the prompt and `reason` when asked why. */
function demoOnTerminal(approve: string, reason: string) {
  const dir = mkdtempSync(join(tmpdir(), "irflow-cli-demo-tty-"));
  folders.push(dir);
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", TERM: "dumb" };
  delete env.FORCE_COLOR;
  const command = [process.execPath, "bin/irflow.mjs", "demo", "--as", "dana", "--dir", dir].join(" ");
  const child = spawn("script", ["-qfec", command, "/dev/null"], { cwd: PROJECT_ROOT, env, stdio: ["pipe", "pipe", "pipe"] });
  let screen = "";
  let answered = { prompt: 0, reason: 0 };
  child.stdout.on("data", (chunk: Buffer) => {
    screen += chunk.toString("utf8");
    const shown = plain(screen);
    const prompts = shown.split("approve? [").length - 1;
    const reasons = shown.split("reason:").length - 1;
    if (PROMPT.test(shown) && prompts > answered.prompt) {
      answered = { ...answered, prompt: prompts };
      child.stdin.write(approve);
    } else if (REASON.test(shown) && reasons > answered.reason) {
      answered = { ...answered, reason: reasons };
      child.stdin.write(reason);
    }
  });
  return new Promise<{ code: number | null; screen: string }>((resolve) => child.on("exit", (code) => resolve({ code, screen: plain(screen) })));
}

describe.skipIf(!hasScript)("irflow demo on a terminal", { timeout: 120_000 }, () => {
  it("asks before closing SSH to the internet; y and a reason close it, resolve the incident, and the report names the approver", async () => {
    const { code, screen } = await demoOnTerminal("y\r", "nobody needs ssh from the internet\r");
    expect(screen).toContain("approval needed: Close the port to the internet");
    expect(screen.split("approve? [")).toHaveLength(2);
    expect(screen).toContain("approved: Close the port to the internet by dana: nobody needs ssh from the internet");
    expect(screen).toMatch(/resolved {2}incident inc-\S+/);
    expect(code).toBe(0);
    const report = /report: (\S+\.md)/.exec(screen)?.[1];
    expect(report).toBeDefined();
    const text = readFileSync(report!, "utf8");
    expect(text).toContain("| contain/close-the-port-to-the-internet | approved | dana | nobody needs ssh from the internet |");
    expect(text).toContain("RevokeSecurityGroupIngress sgr-0cc33dd44ee55ff66");
  });
});
