import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { findTask } from "../functions/registry.js";
import { type Diagnostic } from "./diagnostics.js";
import { compileRunbookSource, namedMachines, type CompiledRunbook } from "./compiler/compile-runbook.js";
import { ASL_VALIDATOR_VERSION } from "./compiler/validate-asl.js";
import { ParallelValidation } from "./compiler/parallel-validation.js";
import { ValidationCache } from "./compiler/validation-cache.js";
import { buildManifest, definitionPath, type Manifest } from "./compiler/manifest.js";
import { registryCatalogue } from "./compiler/task-catalogue.js";

export interface ProjectCompilation {
  readonly compiled: readonly CompiledRunbook[];
  readonly diagnostics: readonly Diagnostic[];
  /** Generated files by path relative to workflows/generated/, only when nothing failed. */
  readonly files?: ReadonlyMap<string, string>;
  readonly manifest?: Manifest;
}

/** Markdown files of a runbooks folder, sorted so output is deterministic. */
export function listRunbookFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".md") && entry.name !== "README.md")
    .map((entry) => join(directory, entry.name))
    .sort();
}

/**
 * Compiles a set of runbook files together: each file alone, then the checks that span files
 * (unique runbook ids), then the generated definitions and the manifest.
 */
export interface CompileProjectOptions {
  /** Where to remember definitions asl-validator accepted; no cache when absent. */
  readonly validationCache?: string;
  /** Threads for asl-validator: by default one per core from 16 runbooks up; 0 validates on this thread. */
  readonly validatorThreads?: number;
  /** The module those threads load as asl-validator; only tests change it. */
  readonly validatorModule?: string;
}

export function compileProject(files: readonly string[], root: string, options: CompileProjectOptions = {}): ProjectCompilation {
  return compileSources(
    files.map((path) => ({ file: relative(root, path) || path, text: readFileSync(path, "utf8") })),
    options,
  );
}

export interface RunbookSource {
  /** The path recorded in provenance and diagnostics (relative to the project). */
  readonly file: string;
  readonly text: string;
}

export function compileSources(sources: readonly RunbookSource[], options: CompileProjectOptions = {}): ProjectCompilation {
  const compiled: CompiledRunbook[] = [];
  const diagnostics: Diagnostic[] = [];
  const ids = new Map<string, string>();
  // asl-validator dominates a cold compile: it runs in threads while runbooks still compile,
  // skipping the machines an earlier compile already validated.
  const cache = options.validationCache ? new ValidationCache(options.validationCache, ASL_VALIDATOR_VERSION) : undefined;
  const validation = new ParallelValidation({ expectedRunbooks: sources.length, cache, threads: options.validatorThreads, validatorModule: options.validatorModule });
  try {
    for (const { file, text } of sources) {
      const result = compileRunbookSource(file, text, { tasks: registryCatalogue, skipAslValidator: true });
      diagnostics.push(...result.diagnostics);
      if (!result.compiled) continue;
      const { runbook } = result.compiled;
      const other = ids.get(runbook.id);
      if (other) {
        diagnostics.push({ file, line: runbook.frontMatterYaml.positionOf(["id"]).line, column: 1, severity: "error", code: "duplicate-runbook-id", message: `runbook id "${runbook.id}" is already used by ${other}`, hint: "runbook ids name state machines and must be unique" });
        continue;
      }
      ids.set(runbook.id, file);
      compiled.push(result.compiled);
      validation.add(namedMachines([result.compiled]));
    }
  } catch (error) {
    validation.close();
    throw error;
  }
  const { problems, failures } = validation.finish();
  cache?.save();
  for (const failure of failures) {
    diagnostics.push({ file: "workflows/generated", line: 1, column: 1, severity: "error", code: "asl-validator-failed", message: `asl-validator: ${failure}`, hint: "the generated definitions could not be checked; run again, and report it if it persists" });
  }
  for (const problem of problems) {
    const owner = compiled.find(({ runbook }) => problem.includes(`${runbook.id}/`));
    diagnostics.push({ file: owner?.runbook.file ?? "workflows/generated", line: 1, column: 1, severity: "error", code: "generated-asl", message: `asl-validator: ${problem}`, hint: "this is a bug in irflow's compiler; please report it with the runbook" });
  }
  if (diagnostics.some((d) => d.severity === "error")) return { compiled, diagnostics };
  const manifest = buildManifest(compiled, findTask);
  const files_ = new Map<string, string>();
  for (const { runbook, machines } of compiled) {
    for (const machine of machines) files_.set(definitionPath(runbook.id, machine.name), toJson(machine.definition));
  }
  files_.set("manifest.json", toJson(manifest));
  return { compiled, diagnostics, files: files_, manifest };
}

export function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
