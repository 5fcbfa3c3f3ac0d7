/**
 * `irflow demo` on a terminal: the demo's one approval (closing SSH to the internet) is asked at
 * the prompt, answered, and the report names who approved.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { APPROVE_PROMPT, hasScript, onTerminal } from "../support/pseudo-terminal.js";
import { tempDir } from "../support/temp-dir.js";

/** Runs the demo on a pseudo-terminal, typing `approve` at the prompt and `reason` when asked why. */
function demoOnTerminal(approve: string, reason: string) {
  // Kept until the file is done, as before: the terminal's child process may outlive its test.
  const dir = tempDir("irflow-cli-demo-tty-", "file");
  return onTerminal(["demo", "--as", "dana", "--dir", dir], (prompt) => (prompt === APPROVE_PROMPT ? approve : reason)).exited;
}

describe.skipIf(!hasScript)("irflow demo on a terminal", { timeout: 120_000 }, () => {
  it("asks before closing SSH to the internet; y and a reason close it, resolve the incident, and the report names the approver", async () => {
    const { code, screen } = await demoOnTerminal("y\r", "nobody needs ssh from the internet\r");
    expect(screen).toContain("approval needed: Close the port to the internet");
    expect(screen.split(APPROVE_PROMPT)).toHaveLength(2);
    expect(screen).toContain("approved: Close the port to the internet by dana: nobody needs ssh from the internet");
    expect(screen).toMatch(/resolved {2}incident inc-\S+/);
    expect(code).toBe(0);
    const report = /report: (\S+\.md)/.exec(screen)?.[1];
    expect(report).toBeDefined();
    const text = readFileSync(report!, "utf8");
    expect(text).toContain("| contain/close-the-port-to-the-internet | approved | dana as IncidentResponder (claimed with --role) | nobody needs ssh from the internet |");
    expect(text).toContain("RevokeSecurityGroupIngress sgr-0cc33dd44ee55ff66");
  });

  it("l prints the commands to answer elsewhere with the identity the demo answers as; pasted as-is in a second terminal, the approve is accepted", async () => {
    const dir = tempDir("irflow-cli-demo-tty-", "file");
    const { exited, until } = onTerminal(["demo", "--as", "dana", "--dir", dir], () => "l\r");
    const [, approve] = await until(/left for another terminal; answer it there with:\n\s+(irflow approve apr-\S+ --digest [0-9a-f]{12} --reason "…" --as dana --role IncidentResponder --dir \S+)\n\s+irflow reject apr-\S+ --reason "…" --as dana --role IncidentResponder --dir \S+\n/);
    const pasted = execFileSync("sh", ["-c", approve!.replace(/^irflow /, `"${process.execPath}" bin/irflow.mjs `)], { cwd: fileURLToPath(new URL("../..", import.meta.url)), env: { ...process.env, NO_COLOR: "1" }, encoding: "utf8" });
    expect(pasted).toContain("approved");
    const { code, screen } = await exited;
    expect(screen).toContain("approved: Close the port to the internet by dana: …");
    expect(screen).toMatch(/resolved {2}incident inc-\S+/);
    expect(code).toBe(0);
  });
});
