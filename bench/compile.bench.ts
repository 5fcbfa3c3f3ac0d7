import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { compileSources, listRunbookFiles, type RunbookSource } from "../workflows/compile-project.js";
import { compileRunbookSource, namedMachines, type CompiledRunbook } from "../workflows/compiler/compile-runbook.js";
import { registryCatalogue } from "../workflows/compiler/task-catalogue.js";
import { validateAsl } from "../workflows/compiler/validate-asl.js";
import { DEFAULT_RUNBOOKS_DIR } from "../cli/project-paths.js";
import { figure, percentile, timeRuns, type Figure } from "./measure.js";

const COMMAND = "npm run bench -- compile";

/** `count` runbooks made from the project's own, each under a distinct id, as a large team would have. */
export function generatedRunbooks(count: number): RunbookSource[] {
  const originals = listRunbookFiles(DEFAULT_RUNBOOKS_DIR).map((path) => ({ name: basename(path, ".md"), text: readFileSync(path, "utf8") }));
  if (originals.length === 0) throw new Error("no runbooks in runbooks/ to benchmark with");
  return Array.from({ length: count }, (_, n) => {
    const original = originals[n % originals.length]!;
    const id = `${original.name}-${n}`.slice(0, 41);
    return { file: `runbooks/${id}.md`, text: original.text.replace(/^id: .*$/m, `id: ${id}`) };
  });
}

export function benchCompile(): Figure[] {
  const sources = generatedRunbooks(100);
  const whole = timeRuns(() => {
    const result = compileSources(sources);
    if (!result.files) throw new Error(`benchmark runbooks do not compile: ${result.diagnostics[0]?.message}`);
  }, 7);

  let compiled: CompiledRunbook[] = [];
  const compileOnly = timeRuns(() => {
    compiled = sources.map((s) => compileRunbookSource(s.file, s.text, { tasks: registryCatalogue, skipAslValidator: true }).compiled!);
  }, 7);
  const validation = timeRuns(() => void validateAsl(namedMachines(compiled)), 5, 1);
  const machines = compiled.reduce((n, c) => n + c.machines.length, 0);

  // A second compile of the same runbooks, as CI or an author's next `irflow compile` runs it:
  // asl-validator only sees machines whose text changed (none here).
  const cachePath = join(mkdtempSync(join(tmpdir(), "irflow-bench-")), "asl-validator.json");
  compileSources(sources, { validationCache: cachePath });
  const warm = timeRuns(() => void compileSources(sources, { validationCache: cachePath }), 7);

  return [
    figure("compile 100 runbooks, first time (parse, check, generate, lint, asl-validator, manifest), median", percentile(whole, 50), "ms", COMMAND, { value: 1000, comparison: "<=" }, `${machines} machines`),
    figure("compile 100 runbooks again (validated definitions cached), median", percentile(warm, 50), "ms", COMMAND, { value: 1000, comparison: "<=" }),
    figure("  of which parse, check, generate and lint", percentile(compileOnly, 50), "ms", COMMAND),
    figure("  of which asl-validator over all machines", percentile(validation, 50), "ms", COMMAND),
  ];
}
