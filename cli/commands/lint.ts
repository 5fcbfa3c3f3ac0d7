import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { compileProject, listRunbookFiles } from "../../workflows/compile-project.js";
import { EXIT, paint, printDiagnostics, summarise } from "../output.js";
import { DEFAULT_RUNBOOKS_DIR, PROJECT_ROOT, VALIDATION_CACHE } from "../project-paths.js";
import { UsageError } from "../usage-error.js";

/** Runbook files named on the command line (files or folders), or every runbook of the project. */
export function resolveRunbookFiles(paths: readonly string[]): string[] {
  if (paths.length === 0) return listRunbookFiles(DEFAULT_RUNBOOKS_DIR);
  return paths.flatMap((path) => {
    const full = resolve(path);
    if (!existsSync(full)) throw new UsageError(`no such file or folder: ${path}`);
    return statSync(full).isDirectory() ? listRunbookFiles(full) : [full];
  });
}

export function registerLint(program: Command): void {
  program
    .command("lint")
    .description("check runbooks without writing anything; reports every problem of every file")
    .argument("[paths...]", "runbook files or folders (default: the project's runbooks/)")
    .option("--warnings-as-errors", "exit 1 on warnings too")
    .option("--no-cache", "validate every definition again, ignoring what earlier runs validated")
    .action((paths: string[], options: { warningsAsErrors?: boolean; cache: boolean }) => {
      const files = resolveRunbookFiles(paths);
      if (files.length === 0) throw new UsageError("no runbooks found");
      const { diagnostics, compiled } = compileProject(files, PROJECT_ROOT, options.cache ? { validationCache: VALIDATION_CACHE } : {});
      printDiagnostics(diagnostics);
      const failing = diagnostics.some((d) => d.severity === "error" || (options.warningsAsErrors === true && d.severity === "warning"));
      const verdict = failing ? paint.red("failed") : paint.green("ok");
      process.stderr.write(`${verdict}: ${files.length} runbook${files.length === 1 ? "" : "s"} checked, ${compiled.length} compiled; ${summarise(diagnostics)}\n`);
      process.exitCode = failing ? EXIT.problems : EXIT.ok;
    });
}
