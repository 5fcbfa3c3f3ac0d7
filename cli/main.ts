import { Command, CommanderError } from "commander";
import { registerAbort } from "./commands/abort.js";
import { registerApprovals, useAudit } from "./commands/approvals.js";
import { registerCompile } from "./commands/compile.js";
import { registerExecutions } from "./commands/executions.js";
import { registerGraph } from "./commands/graph.js";
import { registerHistory } from "./commands/history.js";
import { registerIncidents } from "./commands/incidents.js";
import { registerReport } from "./commands/report.js";
import { registerVerify } from "./commands/verify.js";
import { SqliteAuditLog } from "../workflows/local/store/sqlite-audit-log.js";
import { registerLint, UsageError } from "./commands/lint.js";
import { registerRun } from "./commands/run.js";
import { registerRunbooks } from "./commands/runbooks.js";
import { registerTasks } from "./commands/tasks.js";
import { EXIT, paint } from "./output.js";

// The AWS SDK warns that it will need Node 22 from 2027; Lambdas run on nodejs22.x, and the CLI's
// local runs on Node 20 are supported until then, so this one warning is noise to a responder.
const emitWarning = process.emitWarning.bind(process) as (...args: unknown[]) => void;
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const text = typeof warning === "string" ? warning : warning.message;
  if (!text.startsWith("NodeVersionSupportWarning")) emitWarning(warning, ...rest);
});

const program = new Command()
  .name("irflow")
  .description("Incident-response workflows for AWS: markdown runbooks compiled to Step Functions")
  .showHelpAfterError("(run with --help for usage)")
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(paint.red(text)) });

program.addHelpText(
  "after",
  `
Exit codes: 0 success, 1 problems found (invalid or stale runbooks), 2 usage error, 3 internal error.`,
);

registerLint(program);
registerCompile(program);
registerGraph(program);
registerRunbooks(program);
registerTasks(program);
registerRun(program);
registerApprovals(program);
registerAbort(program);
registerExecutions(program);
registerIncidents(program);
registerHistory(program);
registerVerify(program);
registerReport(program);
// Answers given from the CLI go into the same hash-chained log the run writes.
useAudit((database) => new SqliteAuditLog(database));

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // --help and --version end here with code 0; everything else commander raises is usage.
    process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else if (error instanceof UsageError) {
    process.stderr.write(`${paint.red("error:")} ${error.message}\n`);
    process.exitCode = EXIT.usage;
  } else {
    process.stderr.write(`${paint.red("internal error:")} ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = EXIT.internal;
  }
}
