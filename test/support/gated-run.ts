import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { EmbeddedDatabase } from "../../workflows/local/store/embedded-database.js";
import { SqliteApprovals } from "../../workflows/local/store/sqlite-approvals.js";
import { cliEnv } from "./irflow-cli.js";

const PROJECT_ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** A runbook whose contain phase waits at an approval (the access key's deactivation). */
export const GATED_RUNBOOK = "iam-access-key-compromise";
export const GATED_SCENARIO = `test/scenarios/${GATED_RUNBOOK}.yaml`;

export interface GatedRun {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }>;
}

/** `irflow run` with --no-prompt, as alice: it waits at the first approval for an answer from elsewhere. */
export function startGatedRun(dir: string): GatedRun {
  const child = spawn(process.execPath, ["bin/irflow.mjs", "run", GATED_RUNBOOK, "--scenario", GATED_SCENARIO, "--no-prompt", "--as", "alice", "--dir", dir], { cwd: PROJECT_ROOT, env: cliEnv(), stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  return { child, exited: new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal, stdout }))) };
}

/** Waits until the run's approval is pending in the store; its incident id. */
export async function waitingAtApproval(dir: string): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const database = EmbeddedDatabase.open({ dir });
      try {
        const pending = new SqliteApprovals(database).pending();
        if (pending[0]) return pending[0].incidentId;
      } finally {
        database.close();
      }
    } catch {
      // The run is still creating the file.
    }
    if (Date.now() > deadline) throw new Error("the run never waited at its approval");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * A gated run killed (SIGKILL) while it waits at its approval: the store still shows it waiting,
 * and its liveness record stays behind, naming a process that is gone. Its incident and pid.
 */
export async function killedAtApproval(dir: string): Promise<{ readonly incidentId: string; readonly pid: number }> {
  const run = startGatedRun(dir);
  const incidentId = await waitingAtApproval(dir);
  const pid = run.child.pid!;
  run.child.kill("SIGKILL");
  await run.exited;
  return { incidentId, pid };
}

/**
 * Makes the store's liveness record name a process that exists (the test's own) whose heartbeat
 * is a minute old: a run suspended, or a pid reused, as far as anyone can tell (liveness unknown).
 */
export function recordLooksSuspended(dir: string): void {
  const database = EmbeddedDatabase.open({ dir });
  try {
    database.db.prepare("UPDATE runners SET pid = ?, heartbeat_ms = ?").run(process.pid, Date.now() - 60_000);
  } finally {
    database.close();
  }
}
