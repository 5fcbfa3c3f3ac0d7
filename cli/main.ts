import { Command, CommanderError } from "commander";
import { commandsFor } from "./command-modules.js";
import { EXIT, paint } from "./output.js";
import { packageVersion } from "./package-version.js";
import { pathErrorMessage } from "./path-error.js";
import { checkRequiredOptionsLast } from "./required-options.js";
import { UsageError } from "./usage-error.js";

// The AWS SDK warns that it will need Node 22 from 2027; Lambdas run on nodejs22.x, and the CLI's
// local runs on Node 20 are supported until then, so this one warning is noise to a responder.
// The SDK reads the switch when a client is built, so setting it before any command runs is enough.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

// A reader that stops early (irflow demo … | head) closes the pipe. Later writes go nowhere, and
// the command still finishes with its own exit code: exiting at once would leave a run's
// executions RUNNING and its incident open, and an unhandled EPIPE would print a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    stream.write = () => true;
    if (error.code !== "EPIPE") process.exitCode = EXIT.internal;
  });
}

const program = new Command()
  .name("irflow")
  .description("Incident-response workflows for AWS: markdown runbooks compiled to Step Functions")
  .version(packageVersion(), "-V, --version", "print the irflow version")
  .showHelpAfterError("(run with --help for usage)")
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(paint.red(text)) });

program.addHelpText(
  "after",
  `
Exit codes: 0 success, 1 problems found (invalid or stale runbooks), 2 usage error, 3 internal error.`,
);

try {
  for (const register of await commandsFor(process.argv.slice(2))) register(program);
  checkRequiredOptionsLast(program);
  await program.parseAsync(process.argv);
} catch (error) {
  const pathMessage = pathErrorMessage(error);
  if (error instanceof CommanderError) {
    // --help and --version end here with code 0; everything else commander raises is usage.
    process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else if (error instanceof UsageError) {
    process.stderr.write(`${paint.red("error:")} ${error.message}\n`);
    process.exitCode = EXIT.usage;
  } else if (pathMessage !== undefined) {
    // A path given (or one under it) that cannot be used is the command line's to correct.
    process.stderr.write(`${paint.red("error:")} ${pathMessage}\n`);
    process.exitCode = EXIT.usage;
  } else {
    process.stderr.write(`${paint.red("internal error:")} ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = EXIT.internal;
  }
}
