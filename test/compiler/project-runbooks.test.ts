import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findTask } from "../../functions/registry.js";
import { DEFAULT_GENERATED_DIR, DEFAULT_RUNBOOKS_DIR, PROJECT_ROOT } from "../../cli/project-paths.js";
import { compileProject, listRunbookFiles } from "../../workflows/compile-project.js";
import { lintAsl } from "../../workflows/compiler/lint-asl.js";
import type { Manifest } from "../../workflows/compiler/manifest.js";
import { compareGenerated } from "../../workflows/generated-files.js";

const files = listRunbookFiles(DEFAULT_RUNBOOKS_DIR);
const result = compileProject(files, PROJECT_ROOT);

describe("the project's runbooks", () => {
  it("exist, one per incident type the product covers", () => {
    expect(files.length).toBeGreaterThanOrEqual(7);
  });

  it("all compile without errors", () => {
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(result.compiled).toHaveLength(files.length);
  });

  it("have their generated definitions and manifest committed, fresh (run `npm run compile` after a change)", () => {
    expect(result.files).toBeDefined();
    expect(compareGenerated(DEFAULT_GENERATED_DIR, result.files!)).toEqual({ changed: [], missing: [], extra: [] });
  });

  it("compile to machines that pass our lint, five phases plus the incident machine each", () => {
    for (const { runbook, machines } of result.compiled) {
      expect(machines.map((m) => m.name)).toEqual(["detect", "contain", "eradicate", "recover", "post-incident", "incident"]);
      for (const machine of machines) {
        expect(lintAsl(machine.definition, { isTask: (name) => findTask(name) !== undefined, isMachine: (name) => name.startsWith(`${runbook.id}/`) }), `${runbook.id}/${machine.name}`).toEqual([]);
      }
    }
  });

  it("put a human approval before every step that changes something, unless the runbook says none", () => {
    for (const { analysed } of result.compiled) {
      for (const steps of analysed.phases.values()) {
        for (const step of steps) {
          if (step.contract.risk === "destructive") expect(step.approval, `${step.step.id} is destructive`).toBeDefined();
          if (step.contract.risk !== "read" && !step.approval) expect(step.step.block.approval, `${step.step.id} skips approval implicitly`).toBe("none");
        }
      }
    }
  });

  it("derive the manifest's IAM from the task contracts, and nothing else", () => {
    const manifest = JSON.parse(readFileSync(join(DEFAULT_GENERATED_DIR, "manifest.json"), "utf8")) as Manifest;
    expect(manifest.machines).toHaveLength(files.length * 6);
    for (const machine of manifest.machines) {
      for (const task of machine.tasks) expect(manifest.tasks[task]?.usedBy).toContain(machine.name);
    }
    for (const [name, task] of Object.entries(manifest.tasks)) {
      expect(task.iam).toEqual(findTask(name)!.iam);
      for (const action of task.iam.flatMap((grant) => grant.actions)) expect(action).not.toContain("*");
    }
    for (const runbook of manifest.runbooks) expect(runbook.triggers.length).toBeGreaterThan(0);
  });
});
