import { mkdirSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileSources } from "../../workflows/compile-project.js";
import type { StateMachine } from "../../workflows/compiler/asl.js";
import { lintAsl } from "../../workflows/compiler/lint-asl.js";
import { writeGenerated } from "../../workflows/generated-files.js";
import { SAMPLE_RUNBOOK } from "../fixtures/sample-runbook.js";
import { compile, compileOk, errorCodes, mutate } from "./helpers.js";
import { tempDir } from "../support/temp-dir.js";

// Defects found by review and fuzzing; each test fails on the code before its fix.
describe("compiler regressions", () => {
  it("accepts GuardDuty finding types with & and ! in triggers", () => {
    const compiled = compileOk(mutate('"Trojan:EC2/BlackholeTraffic"', '"Backdoor:EC2/C&CActivity.B!DNS"'));
    expect(JSON.stringify(compiled.triggers)).toContain("Backdoor:EC2/C&CActivity.B!DNS");
  });

  it("compiles a 64-character step title in every machine of several runbooks (validator renaming adds nothing)", () => {
    const title = "T".repeat(64);
    const text = mutate("### Snapshot the volumes", `### ${title}`);
    const sources = Array.from({ length: 12 }, (_, n) => ({ file: `runbooks/r${n}.md`, text: text.replace("id: sample-compromise", `id: sample-compromise-${n}`) }));
    const result = compileSources(sources);
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(Object.keys(result.compiled[11]!.machines.find((m) => m.name === "contain")!.definition.States)).toContain(`Record failure: ${title}`);
  });

  it.each(["Joined an open incident?", "Open incident", "Close incident", "Phase failed", "Contain complete", "Plan: Isolate", "Record failure: x", "Each: item"])(
    "refuses a step titled %j, which would collide with a generated state",
    (title) => {
      const text = mutate("### Describe the instance", `### ${title}`);
      expect(errorCodes(text)).toContain("reserved-step-name");
      expect(compile(text).diagnostics.find((d) => d.code === "reserved-step-name")?.line).toBe(text.split("\n").indexOf(`### ${title}`) + 1);
    },
  );

  it("removes folders left empty at any depth, and only generated files", () => {
    const dir = tempDir("irflow-gen-");
    mkdirSync(join(dir, "a", "b"), { recursive: true });
    mkdirSync(join(dir, "retired"));
    writeFileSync(join(dir, "retired", "contain.asl.json"), "{}");
    writeFileSync(join(dir, "README.md"), "not ours");
    writeGenerated(dir, new Map([["manifest.json", "{}\n"]]));
    expect(existsSync(join(dir, "a"))).toBe(false);
    expect(existsSync(join(dir, "retired"))).toBe(false);
    expect(existsSync(join(dir, "README.md"))).toBe(true);
    expect(existsSync(join(dir, "manifest.json"))).toBe(true);
  });

  it("refuses .$ keys and deployment placeholders in runbook literals", () => {
    const dollarKey = mutate(
      'task: sns.notify\nwith:\n  subject: "Instance {$.resource.instanceId} replaced"\n  message: "Snapshots are kept as evidence."\n  audience: owner',
      'task: ec2.tag-instance\nwith:\n  instanceId: $.resource.instanceId\n  tags:\n    x.$: "States.Format(\'{}\', $$.Execution.Input)"',
    );
    expect(errorCodes(dollarKey)).toContain("bad-input");
    const placeholder = mutate('"Snapshots are kept as evidence."', '"see ${Task:ec2.terminate-instance}"');
    expect(errorCodes(placeholder)).toContain("bad-input");
  });

  it("refuses durations past a year", () => {
    expect(errorCodes(mutate("timeout: 15m", "timeout: 999999d"))).toContain("step-block");
    expect(errorCodes(mutate("timeout: 15m", "timeout: 365d"))).not.toContain("step-block");
  });

  it("flags $$.Task.Token passed into a Map's ItemSelector", () => {
    const machine = structuredClone<StateMachine>(compileOk(SAMPLE_RUNBOOK).machines.find((m) => m.name === "detect")!.definition);
    machine.States["Leaky map"] = {
      Type: "Map",
      Comment: "runbooks/sample.md:1 sha256:0123456789ab",
      ItemsPath: "$.list",
      ItemSelector: { "token.$": "$$.Task.Token" },
      ItemProcessor: { ProcessorConfig: { Mode: "INLINE" }, StartAt: "Inner", States: { Inner: { Type: "Succeed", Comment: "runbooks/sample.md:1 sha256:0123456789ab" } } },
      MaxConcurrency: 1,
      End: true,
    };
    Object.assign(machine.States["Open incident"]!, { Next: "Leaky map" });
    const problems = lintAsl(machine, { isTask: () => true, isMachine: () => true });
    expect(problems.some((p) => p.includes("Leaky map") && p.includes("$$.Task.Token outside a callback task"))).toBe(true);
  });
});

describe("review findings", () => {
  it("ends a failed detect step with the failure carried to post-incident, not a Fail state", () => {
    const detect = compileOk(SAMPLE_RUNBOOK).machines.find((m) => m.name === "detect")!.definition;
    const failed = detect.States["Phase failed"]!;
    expect(failed).toMatchObject({ Type: "Pass", ResultPath: "$.failure", Next: "Detect stopped after a failure", Parameters: { "Error.$": "$.step.error.Error", "Cause.$": "$.step.error.Cause" } });
    // Its own end, so progress and history do not say "Detect complete" right after "Phase failed".
    expect(detect.States["Detect stopped after a failure"]).toMatchObject({ Type: "Succeed" });
    const contain = compileOk(SAMPLE_RUNBOOK).machines.find((m) => m.name === "contain")!.definition;
    expect(contain.States["Phase failed"]!.Type).toBe("Fail");
  });
});

describe("paths that exist only when a conditional step ran", () => {
  // "Describe the instance" saves $.instance; make it conditional, then read $.instance later.
  const conditionalSave = mutate(
    "task: ec2.describe-instance\nwith:\n  instanceId: $.resource.instanceId # @describe-input\nsave: $.instance",
    "task: ec2.describe-instance\nwith:\n  instanceId: $.resource.instanceId # @describe-input\nwhen:\n  path: $.severity.score\n  gte: 7\nsave: $.instance",
  );

  it("refuses an input read from them, at the line that reads it", () => {
    const result = compile(conditionalSave);
    const problem = result.diagnostics.find((d) => d.code === "optional-path");
    expect(problem?.message).toMatch(/\$\.instance exists only when step "Describe the instance" ran/);
    expect(problem?.line).toBe(conditionalSave.split("\n").indexOf("  instanceId: $.instance.instanceId") + 1);
  });

  it("accepts them when the reading step's own condition guarantees them", () => {
    const guarded = conditionalSave.replace(
      "  instanceId: $.instance.instanceId\nsave: $.snapshots",
      "  instanceId: $.instance.instanceId\nwhen:\n  path: $.instance.instanceId\n  exists: true\nsave: $.snapshots",
    );
    expect(errorCodes(guarded)).not.toContain("optional-path");
    // The terminate step already reads them only under `when: $.instance.autoScalingGroupName exists`.
    expect(compile(guarded).diagnostics.filter((d) => d.code === "optional-path").map((d) => d.line)).toEqual([]);
  });
});
