import type { Command } from "commander";
import { compileProject } from "../../workflows/compile-project.js";
import type { CompiledRunbook } from "../../workflows/compiler/compile-runbook.js";
import { PHASE_TITLES } from "../../workflows/runbook/schema.js";
import { EXIT, paint, printDiagnostics } from "../output.js";
import { PROJECT_ROOT } from "../project-paths.js";
import { resolveRunbookFiles } from "./lint.js";
import { triggerLine } from "./trigger-line.js";

export function registerRunbooks(program: Command): void {
  program
    .command("runbooks")
    .description("list the runbooks with their triggers and the steps of each phase")
    .option("--json", "machine-readable output")
    .action((options: { json?: boolean }) => {
      const result = compileProject(resolveRunbookFiles([]), PROJECT_ROOT);
      printDiagnostics(result.diagnostics.filter((d) => d.severity === "error"));
      if (options.json) {
        process.stdout.write(`${JSON.stringify(result.compiled.map(rowOf), null, 2)}\n`);
      } else {
        for (const compiled of result.compiled) {
          const row = rowOf(compiled);
          process.stdout.write(`${paint.bold(row.id)}  ${row.title} ${paint.dim(`(${row.severity}, ${row.file})`)}\n`);
          for (const line of compiled.triggers.map(triggerLine)) process.stdout.write(`  ${line.lead ? `${paint.cyan(line.lead)} ` : ""}${line.text}\n`);
          for (const [phase, steps] of Object.entries(row.phases)) {
            const title = PHASE_TITLES[phase as keyof typeof PHASE_TITLES];
            process.stdout.write(`  ${title.padEnd(14)} ${steps.length === 0 ? paint.dim("(no steps)") : steps.join(" → ")}\n`);
          }
          process.stdout.write("\n");
        }
      }
      if (result.diagnostics.some((d) => d.severity === "error")) process.exitCode = EXIT.problems;
    });
}

/** What `--json` lists for a runbook; the text output shows the same, with its triggers in words. */
function rowOf({ runbook, triggers }: CompiledRunbook) {
  return {
    id: runbook.id,
    title: runbook.title,
    severity: runbook.frontMatter.severity,
    file: runbook.file,
    triggers: triggers.map((t) => t.description),
    phases: Object.fromEntries(runbook.phases.map((p) => [p.phase, p.steps.map((s) => s.title)])),
  };
}
