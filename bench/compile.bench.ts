import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { compileSources, listRunbookFiles, type CompileProjectOptions, type RunbookSource } from "../workflows/compile-project.js";
import { compileRunbookSource, namedMachines, type CompiledRunbook } from "../workflows/compiler/compile-runbook.js";
import { registryCatalogue } from "../workflows/compiler/task-catalogue.js";
import { closeIdleThreads } from "../workflows/compiler/asl-validator-thread.js";
import { defaultThreads, RUNBOOKS_PER_BATCH } from "../workflows/compiler/parallel-validation.js";
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
  // Every cold compile gets a cache folder of its own; all are removed however the bench ends.
  const folders: string[] = [];
  const freshCache = () => {
    folders.push(mkdtempSync(join(tmpdir(), "irflow-bench-cache-")));
    return join(folders.at(-1)!, "asl-validator.json");
  };
  try {
    return compileFigures(generatedRunbooks(100), freshCache);
  } finally {
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  }
}

function compileFigures(sources: readonly RunbookSource[], freshCache: () => string): Figure[] {
  const compileCold = (options: CompileProjectOptions = {}) => {
    // As `irflow compile` runs the first time: every definition goes through asl-validator.
    const result = compileSources(sources, { validationCache: freshCache(), ...options });
    if (!result.files) throw new Error(`benchmark runbooks do not compile: ${result.diagnostics[0]?.message}`);
  };
  const cold = timeRuns(() => compileCold(), 7);
  // As above, but without the validator threads an earlier compile in this process left idle:
  // each compile starts its own, which loads asl-validator and compiles its schemas meanwhile.
  const coldNewThreads = timeRuns(() => {
    closeIdleThreads();
    compileCold();
  }, 5);
  const coldOneThread = timeRuns(() => compileCold({ validatorThreads: 0 }), 5);

  // A second compile of the same runbooks, as CI or an author's next `irflow compile` runs it:
  // asl-validator only sees machines whose text changed (none here).
  const cachePath = freshCache();
  compileSources(sources, { validationCache: cachePath });
  const warm = timeRuns(() => void compileSources(sources, { validationCache: cachePath }), 7);

  let compiled: CompiledRunbook[] = [];
  const compileOnly = timeRuns(() => {
    compiled = sources.map((s) => compileRunbookSource(s.file, s.text, { tasks: registryCatalogue, skipAslValidator: true }).compiled!);
  }, 7);
  const validation = timeRuns(() => void validateAsl(namedMachines(compiled)), 5, 1);
  const machines = compiled.reduce((n, c) => n + c.machines.length, 0);
  const threads = defaultThreads(sources.length);

  return [
    figure("compile 100 runbooks, cold (nothing cached: parse, check, generate, lint, asl-validator, manifest; validator threads started afresh), median", percentile(coldNewThreads, 50), "ms", COMMAND, { value: 1000, comparison: "<=" }, `${machines} machines; every definition validated, asl-validator on ${threads} thread(s) beside the compiling one, in batches of ${RUNBOOKS_PER_BATCH} runbooks; each compile starts, loads and warms its own threads, as one \`irflow compile\` does`),
    figure("  cold, idle validator threads of an earlier compile reused, median", percentile(cold, 50), "ms", COMMAND, undefined, "empty cache, but the threads keep compiled schemas and path verdicts from the earlier compile: a long-lived process"),
    figure("compile 100 runbooks again (every definition cached), median", percentile(warm, 50), "ms", COMMAND, { value: 1000, comparison: "<=" }, "asl-validator not run; cache keys hashed and looked up"),
    figure("  cold, asl-validator on the main thread only, median", percentile(coldOneThread, 50), "ms", COMMAND, undefined, "for comparison: compileSources with validatorThreads: 0"),
    figure("  of which parse, check, generate and lint", percentile(compileOnly, 50), "ms", COMMAND),
    figure("  of which asl-validator over all machines, one thread", percentile(validation, 50), "ms", COMMAND, undefined, "validateAsl on the main thread, as a small project runs it: one call that compiles the schemas; the threads' batches cost less"),
    ...freshProcess(sources),
  ];
}

/** `irflow compile --no-cache` in a new process, as a developer or CI first runs it: nothing warm. */
function freshProcess(sources: readonly RunbookSource[]): Figure[] {
  const root = mkdtempSync(join(tmpdir(), "irflow-bench-project-"));
  try {
    const runbooks = join(root, "runbooks");
    mkdirSync(runbooks);
    for (const source of sources) writeFileSync(join(runbooks, basename(source.file)), source.text);
    const cli = fileURLToPath(new URL("../bin/irflow.mjs", import.meta.url));
    const runs = timeRuns(() => {
      const run = spawnSync(process.execPath, [cli, "compile", "--no-cache", "--runbooks", runbooks, "--out", join(root, "generated")], { encoding: "utf8" });
      if (run.status !== 0) throw new Error(`irflow compile failed: ${run.stderr}`);
    }, 3, 1);
    return [figure("  cold in a new process (`irflow compile --no-cache`, 100 runbooks), median", percentile(runs, 50), "ms", COMMAND, undefined, "includes starting node and loading the TypeScript sources")];
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
