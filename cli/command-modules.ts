import type { Command } from "commander";

type Register = (program: Command) => void;

/**
 * Each command's module, loaded only when it is asked for: a responder's `irflow approve` in a
 * second terminal should not wait for the whole CLI (the local runner, the AWS SDK, the ASL
 * validator) to load, as it did when every command was imported up front (~2 s before anything ran).
 */
export const COMMAND_MODULES: readonly { readonly names: readonly string[]; readonly load: () => Promise<Register> }[] = [
  { names: ["lint"], load: async () => (await import("./commands/lint.js")).registerLint },
  { names: ["compile"], load: async () => (await import("./commands/compile.js")).registerCompile },
  { names: ["graph"], load: async () => (await import("./commands/graph.js")).registerGraph },
  { names: ["runbooks"], load: async () => (await import("./commands/runbooks.js")).registerRunbooks },
  { names: ["tasks"], load: async () => (await import("./commands/tasks.js")).registerTasks },
  { names: ["run", "demo"], load: async () => (await import("./commands/run.js")).registerRun },
  { names: ["approvals", "approve", "reject"], load: loadApprovals },
  { names: ["abort"], load: async () => (await import("./commands/abort.js")).registerAbort },
  { names: ["executions"], load: async () => (await import("./commands/executions.js")).registerExecutions },
  { names: ["incidents"], load: async () => (await import("./commands/incidents.js")).registerIncidents },
  { names: ["history"], load: async () => (await import("./commands/history.js")).registerHistory },
  { names: ["verify"], load: async () => (await import("./commands/verify.js")).registerVerify },
  { names: ["report"], load: async () => (await import("./commands/report.js")).registerReport },
];

async function loadApprovals(): Promise<Register> {
  const [{ registerApprovals, useAudit }, { SqliteAuditLog }] = await Promise.all([import("./commands/approvals.js"), import("../workflows/local/store/sqlite-audit-log.js")]);
  // Answers given from the CLI go into the same hash-chained log the run writes.
  useAudit((database) => new SqliteAuditLog(database));
  return registerApprovals;
}

/**
 * The commands to register for these arguments: the one named first, or every command (in the
 * order `--help` lists them) when none is named, or the name is unknown and commander must say so.
 */
export async function commandsFor(args: readonly string[]): Promise<Register[]> {
  const name = args[0];
  const named = name === undefined || name.startsWith("-") ? undefined : COMMAND_MODULES.find((module) => module.names.includes(name));
  return Promise.all((named ? [named] : COMMAND_MODULES).map((module) => module.load()));
}
