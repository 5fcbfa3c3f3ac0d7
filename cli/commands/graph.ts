import { resolve } from "node:path";
import type { Command } from "commander";
import { compileProject } from "../../workflows/compile-project.js";
import { MACHINE_NAMES, type MachineName } from "../../workflows/compiler/compile-runbook.js";
import { toMermaid } from "../../workflows/graph/mermaid.js";
import { EXIT, printDiagnostics } from "../output.js";
import { PROJECT_ROOT } from "../project-paths.js";
import { UsageError } from "../usage-error.js";
import { resolveRunbookFiles } from "./lint.js";
import { runbookFilesById } from "./runbook-ids.js";

export function registerGraph(program: Command): void {
  program
    .command("graph")
    .description("print a Mermaid flowchart of a runbook's machine (default: the incident machine)")
    .argument("<runbook>", "runbook id or file")
    .argument("[phase]", `one of: ${MACHINE_NAMES.join(", ")}`, "incident")
    .action((runbook: string, phase: string) => {
      if (!(MACHINE_NAMES as readonly string[]).includes(phase)) throw new UsageError(`unknown phase "${phase}"; use one of ${MACHINE_NAMES.join(", ")}`);
      // An id no runbook declares is refused before anything compiles: other runbooks' lint is not its answer.
      const files = runbook.endsWith(".md") ? resolveRunbookFiles([runbook]) : runbookFilesById(resolveRunbookFiles([])).get(runbook);
      if (files === undefined) throw new UsageError(unknownRunbook(runbook));
      const result = compileProject(files, PROJECT_ROOT);
      const found = result.compiled.find((c) => c.runbook.id === runbook || resolve(PROJECT_ROOT, c.runbook.file) === resolve(runbook));
      if (!found) {
        printDiagnostics(result.diagnostics);
        if (result.diagnostics.some((d) => d.severity === "error")) {
          process.exitCode = EXIT.problems;
          return;
        }
        throw new UsageError(unknownRunbook(runbook));
      }
      const machine = found.machines.find((m) => m.name === (phase as MachineName))!;
      process.stdout.write(toMermaid(machine.definition, `${found.runbook.title}: ${phase}`));
    });
}

const unknownRunbook = (runbook: string) => `no runbook "${runbook}"; \`irflow runbooks\` lists them`;
