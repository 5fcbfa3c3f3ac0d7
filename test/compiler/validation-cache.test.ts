import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileSources } from "../../workflows/compile-project.js";
import { ValidationCache } from "../../workflows/compiler/validation-cache.js";
import { ASL_VALIDATOR_VERSION, validateAsl } from "../../workflows/compiler/validate-asl.js";
import type { StateMachine } from "../../workflows/compiler/asl.js";
import { SAMPLE_RUNBOOK } from "../fixtures/sample-runbook.js";
import { tempDir } from "../support/temp-dir.js";

const sources = [{ file: "runbooks/sample.md", text: SAMPLE_RUNBOOK }];

function cachePath(): string {
  return join(tempDir("irflow-cache-"), "asl-validator.json");
}

describe("asl-validator cache", () => {
  it("leaves no temporary copy behind when saving fails", () => {
    const dir = tempDir("irflow-cache-");
    const path = join(dir, "asl-validator.json");
    // A directory (with something in it) where the cache file goes: the final rename fails.
    mkdirSync(join(path, "occupied"), { recursive: true });
    const cache = new ValidationCache(path, ASL_VALIDATOR_VERSION);
    cache.rememberKeys(["some-key"]);
    expect(() => cache.save()).toThrow();
    expect(readdirSync(dir)).toEqual(["asl-validator.json"]);
  });

  it("remembers accepted definitions across compiles and skips them", () => {
    const path = cachePath();
    const first = compileSources(sources, { validationCache: path });
    expect(first.files).toBeDefined();
    const cache = new ValidationCache(path, ASL_VALIDATOR_VERSION);
    for (const machine of first.compiled[0]!.machines) expect(cache.has(machine.definition)).toBe(true);
  });

  it("never hides a problem: a changed definition is validated again", () => {
    const path = cachePath();
    const { compiled } = compileSources(sources, { validationCache: path });
    const broken = structuredClone<StateMachine>(compiled[0]!.machines[1]!.definition);
    Object.assign(broken.States[broken.StartAt]!, { Next: "Nowhere" });
    const cache = new ValidationCache(path, ASL_VALIDATOR_VERSION);
    expect(validateAsl([{ name: "sample/contain", definition: broken }], cache).length).toBeGreaterThan(0);
  });

  it("ignores a cache written by another validator version, or a corrupt one", () => {
    const path = cachePath();
    const { compiled } = compileSources(sources, { validationCache: path });
    const definition = compiled[0]!.machines[0]!.definition;
    expect(new ValidationCache(path, "0.0.0-other").has(definition)).toBe(false);
    writeFileSync(path, "{ not json");
    expect(new ValidationCache(path, ASL_VALIDATOR_VERSION).has(definition)).toBe(false);
  });
});
