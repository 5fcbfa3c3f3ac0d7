import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROJECT_ROOT } from "../cli/project-paths.js";
import { EmbeddedDatabase } from "../workflows/local/store/embedded-database.js";
import { figure, percentile, type Figure } from "./measure.js";

const COMMAND = "npm run bench -- cli";
const RUNS = 7;

/** Wall time of whole `irflow` processes, start to exit, as a responder in a second terminal waits for them. */
function spawnMs(args: readonly string[]): number[] {
  const once = () => {
    const started = performance.now();
    execFileSync(process.execPath, ["bin/irflow.mjs", ...args], { cwd: PROJECT_ROOT, stdio: "ignore" });
    return performance.now() - started;
  };
  // The first run fills tsx's transform cache, as any earlier irflow command on the machine has.
  once();
  return Array.from({ length: RUNS }, once).sort((a, b) => a - b);
}

export function benchCli(): Figure[] {
  const dir = mkdtempSync(join(tmpdir(), "irflow-bench-cli-"));
  try {
    // An empty store, as irflow run leaves one: the reading commands refuse a folder without it.
    EmbeddedDatabase.open({ dir }).close();
    const approvals = spawnMs(["approvals", "--dir", dir]);
    const executions = spawnMs(["executions", "--dir", dir]);
    const help = spawnMs(["--help"]);
    const note = (what: string) => `${what}, median of ${RUNS} processes (start to exit, tsx transform cache warm), empty store`;
    return [
      figure("irflow approvals, whole process", percentile(approvals, 50), "ms", COMMAND, undefined, note("loads only the approvals commands' modules")),
      figure("irflow executions, whole process", percentile(executions, 50), "ms", COMMAND, undefined, note("loads only the executions command's modules")),
      figure("irflow --help, whole process", percentile(help, 50), "ms", COMMAND, undefined, note("loads every command's module (the local runner and the AWS SDK included)")),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
