/**
 * `irflow … | head` closes the pipe before irflow has written everything: irflow stops quietly
 * with its own exit code, as other command-line tools do, instead of an EPIPE stack trace.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const PROJECT_ROOT = fileURLToPath(new URL("../..", import.meta.url));

function withStdoutClosed(args: readonly string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["bin/irflow.mjs", ...args], { cwd: PROJECT_ROOT, env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
    // Closed before the child (Node and tsx start in about a second) writes anything: its first write fails with EPIPE.
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stderr }));
  });
}

describe("a reader that closes irflow's output early", () => {
  it("ends irflow quietly with exit 0, no stack trace", async () => {
    const run = await withStdoutClosed(["tasks"]);
    expect(run.stderr).not.toMatch(/EPIPE|Unhandled|at /);
    expect(run).toMatchObject({ code: 0, signal: null });
  }, 30_000);
});
