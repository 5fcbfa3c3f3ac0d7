import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileSources, type RunbookSource } from "../../workflows/compile-project.js";
import type { StateMachine, TaskState } from "../../workflows/compiler/asl.js";
import { compileRunbookSource, namedMachines } from "../../workflows/compiler/compile-runbook.js";
import { closeIdleThreads } from "../../workflows/compiler/asl-validator-thread.js";
import { ParallelValidation } from "../../workflows/compiler/parallel-validation.js";
import { registryCatalogue } from "../../workflows/compiler/task-catalogue.js";
import { ASL_VALIDATOR_VERSION, explainMachineErrors, runAslValidator, validateAsl, type NamedMachine } from "../../workflows/compiler/validate-asl.js";
import { ValidationCache } from "../../workflows/compiler/validation-cache.js";
import { SAMPLE_RUNBOOK } from "../fixtures/sample-runbook.js";
import { tempDir as makeTempDir } from "../support/temp-dir.js";

// Kept until the file is done, as before.
const tempDir = (): string => makeTempDir("irflow-parallel-", "file");

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
  const validation = new ParallelValidation({ expectedRunbooks: runbooks.length, threads: 2, ...options });
  for (const machines of runbooks) validation.add(machines);
  return validation.finish();
}

const cachePath = () => join(tempDir(), "asl-validator.json");

/** What asl-validator says about each machine checked on its own here, as the threads report it. */
function onTheirOwn(machines: readonly NamedMachine[]): string[] {
  return machines.flatMap((m) => explainMachineErrors(m.name, runAslValidator(structuredClone(m.definition))));
}

// Each case starts a thread that loads and warms asl-validator: seconds on a busy 2-core machine.
describe("ParallelValidation", { timeout: 30_000 }, () => {
  const runbooks = machinesByRunbook(4);

  it("accepts valid machines split between two threads, and caches each of them", () => {
    const cache = new ValidationCache(cachePath(), ASL_VALIDATOR_VERSION);
    expect(validateInThreads(runbooks, { cache, runbooksPerBatch: 1 })).toEqual({ problems: [], failures: [] });
    for (const { definition } of runbooks.flat()) expect(cache.has(definition)).toBe(true);
  });

  it("reports exactly what asl-validator reports about one broken machine", () => {
    for (const r of [0, 3]) {
      const broken = runbooks.map((machines, n) => (n === r ? machines.map((m, i) => (i === 1 ? withMissingTarget(m) : m)) : machines));
      const threaded = validateInThreads(broken);
      expect(threaded.failures).toEqual([]);
      expect(threaded.problems).toEqual(onTheirOwn([broken[r]![1]!]));
      expect(threaded.problems).toContain(`MISSING_TRANSITION_TARGET: sample-${r}/contain: Missing 'StartAt'|'Next'|'Default' target: Nowhere`);
      expect(threaded.problems.every((p) => p.includes(`sample-${r}/contain: `))).toBe(true);
      // The single-threaded check (one call over every machine) finds the same target missing.
      expect(validateAsl(broken.flat())).toContainEqual(expect.stringMatching(new RegExp(`^MISSING_TRANSITION_TARGET: sample-${r}/contain: .*target: Nowhere$`)));
    }
  });

  it("reports a bad JSONPath as single-threaded validation does (the threads remember path verdicts)", () => {
    const withBadPath = (machine: NamedMachine): NamedMachine => {
      const definition = structuredClone<StateMachine>(machine.definition);
      (Object.values(definition.States).find((s) => s.Type === "Task") as TaskState).ResultPath = "$.step[";
      return { name: machine.name, definition };
    };
    // Validate the good machines first, so their paths are remembered before the bad one is met.
    expect(validateInThreads(runbooks, { threads: 1 }).problems).toEqual([]);
    const broken = runbooks.map((machines, r) => (r === 1 ? machines.map((m, i) => (i === 1 ? withBadPath(m) : m)) : machines));
    const threaded = validateInThreads(broken, { threads: 1 });
    expect(threaded.problems.length).toBeGreaterThan(0);
    expect(threaded.problems).toEqual(onTheirOwn([broken[1]![1]!]));
    expect(threaded.problems.every((p) => p.includes("sample-1/contain") && p.includes("ResultPath"))).toBe(true);
    expect(validateAsl(broken.flat()).length).toBeGreaterThan(0);
  });

  it("checks each machine on its own, so each broken machine is named whatever the batches", () => {
    // Batches of three runbooks: one broken machine in the first (runbooks 0-2), one in the second (3).
    const broken = runbooks.map((machines, r) => machines.map((m, i) => ((r === 0 || r === 3) && i === 1 ? withMissingTarget(m) : m)));
    const expected = onTheirOwn([broken[0]![1]!, broken[3]![1]!]);
    for (const threads of [1, 2]) {
      const threaded = validateInThreads(broken, { threads, runbooksPerBatch: 3 });
      expect(threaded.failures).toEqual([]);
      // Reported in runbook order, whatever the threads or their timing.
      expect(threaded.problems).toEqual(expected);
    }
    const problems = validateInThreads(broken, { runbooksPerBatch: 3 }).problems;
    expect(problems.some((p) => p.includes("sample-0/contain") && p.includes("Nowhere"))).toBe(true);
    expect(problems.some((p) => p.includes("sample-3/contain") && p.includes("Nowhere"))).toBe(true);
    expect(problems.some((p) => /sample-[12]\//.test(p))).toBe(false);
  });

  it("caches only the machines that passed", () => {
    const cache = new ValidationCache(cachePath(), ASL_VALIDATOR_VERSION);
    const broken = runbooks.map((machines, r) => (r === 3 ? machines.map((m, i) => (i === 1 ? withMissingTarget(m) : m)) : machines));
    expect(validateInThreads(broken, { cache, runbooksPerBatch: 2 }).problems.length).toBeGreaterThan(0);
    expect(cache.has(broken[0]![0]!.definition)).toBe(true);
    expect(cache.has(broken[2]![5]!.definition)).toBe(true);
    expect(cache.has(broken[3]![0]!.definition)).toBe(true);
    expect(cache.has(broken[3]![1]!.definition)).toBe(false);
  });

  it("reports a validator that cannot load once, as a failure of every machine", () => {
    const result = validateInThreads(runbooks, { runbooksPerBatch: 1, validatorModule: validatorModule(`throw new Error("no such validator");`) });
    expect(result.problems).toEqual([]);
    expect(result.failures).toEqual([expect.stringMatching(/^could not validate 24 machines \(sample-0\/detect … sample-3\/incident\): could not load asl-validator: no such validator$/)]);
  });

  it("hands the batches a failed thread leaves to the threads still working", () => {
    // Fails in whichever thread meets runbook 1 (its provenance names the file), and for good: a
    // batch handed back to that thread would fail too, so only the other thread can pass the rest.
    const picky = validatorModule(`let dead = false; module.exports = (d) => { if (dead || JSON.stringify(d).includes("sample-1.md")) { dead = true; throw new Error("boom"); } return { isValid: true, errors: [] }; };`);
    const result = validateInThreads(runbooks, { threads: 2, runbooksPerBatch: 1, validatorModule: picky });
    expect(result).toEqual({ problems: [], failures: [expect.stringMatching(/^could not validate 6 machines \(sample-1\/detect … sample-1\/incident\): asl-validator threw: boom$/)] });
  });

  it("reports a validator that throws, or ends its thread, as a failure", () => {
    const throws = validatorModule(`let calls = 0; module.exports = () => { if (++calls > 1) throw new Error("boom"); return { isValid: true, errors: [] }; };`);
    expect(validateInThreads(runbooks, { validatorModule: throws, threads: 1 }).failures).toEqual([expect.stringMatching(/asl-validator threw: boom$/)]);
    const exits = validatorModule(`let calls = 0; module.exports = () => { if (++calls > 1) process.exit(3); return { isValid: true, errors: [] }; };`);
    expect(validateInThreads(runbooks, { validatorModule: exits, threads: 1 }).failures).toEqual([expect.stringContaining("exited (code 3) before answering")]);
  });

  it("gives up on a thread that never answers", () => {
    const hangs = validatorModule(`module.exports = () => { for (;;) {} };`);
    const result = validateInThreads(runbooks, { validatorModule: hangs, timeoutMs: 300, threads: 1 });
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

  it("reuses a thread that answered for the next validation in the same process", () => {
    // A validator that counts its calls per thread: the second validation sees the same count go on.
    const counting = validatorModule(`let calls = 0; module.exports = () => ({ isValid: false, errors: [{ "Error code": "CALLS", Message: String(++calls) }] });`);
    const first = validateInThreads(runbooks, { validatorModule: counting, threads: 1 });
    const second = validateInThreads(runbooks, { validatorModule: counting, threads: 1 });
    // Call 1 is the warm-up, 2 to 25 the first validation's 24 machines, 26 to 49 the second's.
    expect([first.problems[0], first.problems.at(-1)]).toEqual(["CALLS: sample-0/detect: 2", "CALLS: sample-3/incident: 25"]);
    expect([second.problems[0], second.problems.at(-1)]).toEqual(["CALLS: sample-0/detect: 26", "CALLS: sample-3/incident: 49"]);
  });

  it("starts a new thread once the idle ones are closed", () => {
    const counting = validatorModule(`let calls = 0; module.exports = () => ({ isValid: false, errors: [{ "Error code": "CALLS", Message: String(++calls) }] });`);
    expect(validateInThreads(runbooks, { validatorModule: counting, threads: 1 }).problems[0]).toBe("CALLS: sample-0/detect: 2");
    closeIdleThreads();
    // A fresh thread: its warm-up is call 1 again.
    expect(validateInThreads(runbooks, { validatorModule: counting, threads: 1 }).problems[0]).toBe("CALLS: sample-0/detect: 2");
  });

  it("validates batches as they complete, while runbooks are still being added", () => {
    const validation = new ParallelValidation({ expectedRunbooks: 4, threads: 1, runbooksPerBatch: 1, validatorModule: validatorModule(`module.exports = () => ({ isValid: true, errors: [] });`) });
    validation.add(runbooks[0]!);
    const thread = (validation as unknown as { threads: { busy: boolean }[] }).threads[0]!;
    // The first runbook's batch went out at once, before any other runbook was added.
    expect(thread.busy).toBe(true);
    for (const machines of runbooks.slice(1)) validation.add(machines);
    expect(validation.finish()).toEqual({ problems: [], failures: [] });
  });

  it("refuses machines after it finished", () => {
    const validation = new ParallelValidation({ expectedRunbooks: 1, threads: 0 });
    validation.finish();
    expect(() => validation.add(runbooks[0]!)).toThrow(/already finished/);
  });
});

describe("compileSources with validator threads", { timeout: 30_000 }, () => {
  it("writes the same files as a single-threaded compile", () => {
    const threaded = compileSources(sources(4), { validatorThreads: 2 });
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
