import { existsSync, statSync } from "node:fs";
import { relative } from "node:path";
import type { Command } from "commander";
import { compileProject, listRunbookFiles } from "../../workflows/compile-project.js";
import { compareGenerated, isFresh, writeGenerated, type Drift } from "../../workflows/generated-files.js";
import { EXIT, paint, printDiagnostics, summarise } from "../output.js";
import { DEFAULT_GENERATED_DIR, DEFAULT_RUNBOOKS_DIR, PROJECT_ROOT, VALIDATION_CACHE } from "../project-paths.js";
import { UsageError } from "../usage-error.js";

export function registerCompile(program: Command): void {
  program
    .command("compile")
    .description("compile every runbook into Step Functions definitions and the deployment manifest")
    .option("--check", "write nothing; exit 1 when the committed files under workflows/generated/ are stale")
    .option("--runbooks <dir>", "folder of runbooks", DEFAULT_RUNBOOKS_DIR)
    .option("--out <dir>", "folder for generated files", DEFAULT_GENERATED_DIR)
    .option("--no-cache", "validate every definition again, ignoring what earlier compiles validated")
    .action((options: { check?: boolean; runbooks: string; out: string; cache: boolean }) => {
      const started = performance.now();
      if (!existsSync(options.runbooks) || !statSync(options.runbooks).isDirectory()) throw new UsageError(`no such folder: ${options.runbooks}`);
      const files = listRunbookFiles(options.runbooks);
      // Compiling nothing would delete every generated definition: refuse instead.
      if (files.length === 0) throw new UsageError(`no runbooks in ${options.runbooks}`);
      const result = compileProject(files, PROJECT_ROOT, options.cache ? { validationCache: VALIDATION_CACHE } : {});
      printDiagnostics(result.diagnostics);
      if (!result.files) {
        process.stderr.write(`${paint.red("failed")}: ${summarise(result.diagnostics)}; nothing written\n`);
        process.exitCode = EXIT.problems;
        return;
      }
      const out = relative(process.cwd(), options.out) || ".";
      const machines = result.manifest?.machines.length ?? 0;
      const elapsed = `${Math.round(performance.now() - started)} ms`;
      if (options.check) {
        const drift = compareGenerated(options.out, result.files);
        if (isFresh(drift)) {
          process.stderr.write(`${paint.green("fresh")}: ${out} matches ${files.length} runbooks (${machines} machines) in ${elapsed}\n`);
        } else {
          process.stderr.write(`${paint.red("stale")}: ${out} differs from the runbooks:\n${describeDrift(drift)}run \`npm run compile\` and commit the result\n`);
          process.exitCode = EXIT.problems;
        }
        return;
      }
      const drift = writeGenerated(options.out, result.files);
      const touched = drift.changed.length + drift.missing.length + drift.extra.length;
      process.stderr.write(`${paint.green("compiled")} ${files.length} runbooks into ${machines} machines in ${elapsed}; ${touched === 0 ? "nothing changed" : `${touched} file(s) updated in ${out}`}\n`);
      if (touched > 0) process.stderr.write(describeDrift(drift));
    });
}

function describeDrift(drift: Drift): string {
  return [...drift.changed.map((p) => `  changed  ${p}`), ...drift.missing.map((p) => `  new      ${p}`), ...drift.extra.map((p) => `  removed  ${p}`)].map((line) => `${line}\n`).join("");
}
