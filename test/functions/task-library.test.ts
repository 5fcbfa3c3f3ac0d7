import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_GENERATED_DIR, PROJECT_ROOT } from "../../cli/project-paths.js";
import { SYSTEM_TASKS, TASK_CONTRACTS } from "../../functions/registry.js";
import { findImplementation, TASKS } from "../../functions/tasks.js";
import type { Manifest } from "../../workflows/compiler/manifest.js";

const system = new Set<string>(Object.values(SYSTEM_TASKS));
const library = TASK_CONTRACTS.filter((contract) => !system.has(contract.name));

describe("the task library", () => {
  it("implements every declared task against its registered contract", () => {
    for (const contract of library) {
      const task = findImplementation(contract.name);
      expect(task, `${contract.name} has no implementation in functions/tasks.ts`).toBeDefined();
      expect(task!.contract, `${contract.name} is implemented against another contract object`).toBe(contract);
    }
    expect(TASKS.map((t) => t.contract.name).sort()).toEqual(library.map((c) => c.name).sort());
  });

  it("plans every task that changes something", () => {
    for (const task of TASKS) if (task.contract.risk !== "read") expect(task.plan, task.contract.name).toBeTypeOf("function");
  });

  it.each(library.map((c) => c.name))("%s has a Lambda entry point exporting handler", async (name) => {
    const [service, verb] = name.split(".") as [string, string];
    const module = (await import(join(PROJECT_ROOT, "functions", service, `${verb}.handler.ts`))) as { handler?: unknown };
    expect(module.handler).toBeTypeOf("function");
  });

  it("implements every task the runbooks use (the system tasks come with the local engine)", () => {
    const manifest = JSON.parse(readFileSync(join(DEFAULT_GENERATED_DIR, "manifest.json"), "utf8")) as Manifest;
    const missing = Object.keys(manifest.tasks).filter((name) => !system.has(name) && !findImplementation(name));
    expect(missing).toEqual([]);
  });
});
