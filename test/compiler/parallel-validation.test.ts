import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compileSources, type RunbookSource } from "../../workflows/compile-project.js";
import type { StateMachine, TaskState } from "../../workflows/compiler/asl.js";
import { compileRunbookSource, namedMachines } from "../../workflows/compiler/compile-runbook.js";
import { ParallelValidation } from "../../workflows/compiler/parallel-validation.js";
import { registryCatalogue } from "../../workflows/compiler/task-catalogue.js";
import { ASL_VALIDATOR_VERSION, validateAsl, type NamedMachine } from "../../workflows/compiler/validate-asl.js";
import { ValidationCache } from "../../workflows/compiler/validation-cache.js";
import { SAMPLE_RUNBOOK } from "../fixtures/sample-runbook.js";

const created: string[] = [];
afterAll(() => {
  for (const dir of created) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "irflow-parallel-"));
  created.push(dir);
  return dir;
}

/** A stand-in for asl-validator, as a CommonJS module a validator thread can load. */
function validatorModule(source: string): string {
  const path = join(tempDir(), "validator.cjs");
  writeFileSync(path, source);
  return path;
}

function sources(count: number): RunbookSource[] {
  return Array.from({ length: count }, (_, n) => ({ file: `runbooks/sample-${n}.md`, text: SAMPLE_RUNBOOK.replace(/^id: .*$/m, `id: sample-${n}`) }));
}

/** The machines of each runbook, as compileSources adds them. */
function machinesByRunbook(count: number): NamedMachine[][] {
  return sources(count).map(({ file, text }) => namedMachines([compileRunbookSource(file, text, { tasks: registryCatalogue, skipAslValidator: true }).compiled!]));
}

function withMissingTarget(machine: NamedMachine): NamedMachine {
  const definition = structuredClone<StateMachine>(machine.definition);
  (Object.values(definition.States).find((s) => s.Type === "Task") as TaskState).Next = "Nowhere";
  return { name: machine.name, definition };
}

function validateInThreads(runbooks: readonly (readonly NamedMachine[])[], options: Partial<ConstructorParameters<typeof ParallelValidation>[0]> = {}) {
  const validation = new ParallelValidation({ expectedRunbooks: runbooks.length, threads: 1, ...options });
  for (const machines of runbooks) validation.add(machines);
  return validation.finish();
}

const cachePath = () => join(tempDir(), "asl-validator.json");

// Each case starts a thread that loads and warms asl-validator: seconds on a busy 2-core machine.
describe("ParallelValidation", { timeout: 30_000 }, () => {
  const runbooks = machinesByRunbook(4);

  it("accepts valid machines split between a thread and the main thread, and caches each of them", () => {
    const cache = new ValidationCache(cachePath(), ASL_VALIDATOR_VERSION);
    expect(validateInThreads(runbooks, { cache })).toEqual({ problems: [], failures: [] });
    for (const { definition } of runbooks.flat()) expect(cache.has(definition)).toBe(true);
  });

  it("reports exactly what single-threaded validation reports about one broken machine", () => {
    for (const r of [0, 3]) {
      const broken = runbooks.map((machines, n) => (n === r ? machines.map((m, i) => (i === 1 ? withMissingTarget(m) : m)) : machines));
      const threaded = validateInThreads(broken);
      expect(threaded.failures).toEqual([]);
      expect(threaded.problems.length).toBeGreaterThan(0);
      expect(threaded.problems).toEqual(validateAsl(broken.flat()));
    }
  });

  it("checks each share as validateAsl checks it, so each broken machine is named on its own", () => {
    // One broken machine in the thread's share (runbooks 0-1), one in the main thread's (2-3).
    const broken = runbooks.map((machines, r) => machines.map((m, i) => ((r === 0 || r === 3) && i === 1 ? withMissingTarget(m) : m)));
    const threaded = validateInThreads(broken);
    expect(threaded.failures).toEqual([]);
    expect([...threaded.problems].sort()).toEqual([...validateAsl(broken.slice(0, 2).flat()), ...validateAsl(broken.slice(2).flat())].sort());
    expect(threaded.problems.some((p) => p.includes("sample-0/contain") && p.includes("Nowhere"))).toBe(true);
    expect(threaded.problems.some((p) => p.includes("sample-3/contain") && p.includes("Nowhere"))).toBe(true);
    expect(threaded.problems.some((p) => /sample-[12]\//.test(p))).toBe(false);
  });

  it("caches only the shares that passed", () => {
    const cache = new ValidationCache(cachePath(), ASL_VALIDATOR_VERSION);
    const broken = runbooks.map((machines, r) => (r === 3 ? machines.map((m, i) => (i === 1 ? withMissingTarget(m) : m)) : machines));
    expect(validateInThreads(broken, { cache }).problems.length).toBeGreaterThan(0);
    expect(cache.has(broken[0]![0]!.definition)).toBe(true);
    expect(cache.has(broken[3]![0]!.definition)).toBe(false);
  });

  it("reports a validator that cannot load as a failure of the machines it had", () => {
    const result = validateInThreads(runbooks, { validatorModule: validatorModule(`throw new Error("no such validator");`) });
    expect(result.problems).toEqual([]);
    expect(result.failures).toEqual([expect.stringMatching(/^could not validate 12 machines \(sample-0\/detect … sample-1\/incident\): could not load asl-validator: no such validator$/)]);
  });

  it("reports a validator that throws, or ends its thread, as a failure", () => {
    const throws = validatorModule(`let calls = 0; module.exports = () => { if (++calls > 1) throw new Error("boom"); return { isValid: true, errors: [] }; };`);
    expect(validateInThreads(runbooks, { validatorModule: throws }).failures).toEqual([expect.stringMatching(/asl-validator threw: boom$/)]);
    const exits = validatorModule(`let calls = 0; module.exports = () => { if (++calls > 1) process.exit(3); return { isValid: true, errors: [] }; };`);
    expect(validateInThreads(runbooks, { validatorModule: exits }).failures).toEqual([expect.stringContaining("exited (code 3) before answering")]);
  });

  it("gives up on a thread that never answers", () => {
    const hangs = validatorModule(`module.exports = () => { for (;;) {} };`);
    const result = validateInThreads(runbooks, { validatorModule: hangs, timeoutMs: 300 });
    expect(result.failures).toEqual([expect.stringContaining("did not answer within 300 ms")]);
  });

  it("starts no thread when every machine is cached", () => {
    const cache = new ValidationCache(cachePath(), ASL_VALIDATOR_VERSION);
    expect(validateInThreads(runbooks, { cache }).failures).toEqual([]);
    const broken = validatorModule(`throw new Error("must not be loaded");`);
    expect(validateInThreads(runbooks, { cache, validatorModule: broken })).toEqual({ problems: [], failures: [] });
  });

  it("validates everything on the main thread when given no threads", () => {
    const broken = validatorModule(`throw new Error("must not be loaded");`);
    expect(validateInThreads(runbooks, { threads: 0, validatorModule: broken })).toEqual({ problems: [], failures: [] });
  });

  it("refuses machines after it finished", () => {
    const validation = new ParallelValidation({ expectedRunbooks: 1, threads: 0 });
    validation.finish();
    expect(() => validation.add(runbooks[0]!)).toThrow(/already finished/);
  });
});

describe("compileSources with validator threads", { timeout: 30_000 }, () => {
  it("writes the same files as a single-threaded compile", () => {
    const threaded = compileSources(sources(4), { validatorThreads: 1 });
    const single = compileSources(sources(4), { validatorThreads: 0 });
    expect(threaded.diagnostics).toEqual(single.diagnostics);
    expect(threaded.files).toBeDefined();
    expect([...threaded.files!]).toEqual([...single.files!]);
  });

  it("turns a validator thread that failed into a compile error, and writes nothing", () => {
    const result = compileSources(sources(4), { validatorThreads: 1, validatorModule: validatorModule(`throw new Error("broken install");`) });
    expect(result.files).toBeUndefined();
    expect(result.diagnostics).toEqual([
      expect.objectContaining({ severity: "error", code: "asl-validator-failed", message: expect.stringContaining("broken install") }),
    ]);
  });
});
