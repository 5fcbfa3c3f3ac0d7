import { existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileProject, listRunbookFiles } from "../../workflows/compile-project.js";
import { compareGenerated, isFresh, writeGenerated } from "../../workflows/generated-files.js";
import { lineOf, SAMPLE_RUNBOOK } from "../fixtures/sample-runbook.js";
import { STALE_KEYS_RUNBOOK } from "./helpers.js";
import { tempDir as makeTempDir } from "../support/temp-dir.js";

// Kept until the file is done, as before.
const tempDir = (label: string): string => makeTempDir(`irflow-${label}-`, "file");

function runbooksFolder(files: Record<string, string>): string {
  const dir = tempDir("runbooks");
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** Files below a folder, relative and sorted; folders listed with a trailing slash. */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .map((entry) => `${join(entry.parentPath, entry.name).slice(dir.length + 1)}${entry.isDirectory() ? "/" : ""}`)
    .sort();
}

const MACHINE_FILES = ["detect", "contain", "eradicate", "recover", "post-incident", "incident"].map((m) => `sample-compromise/${m}.asl.json`);

describe("listRunbookFiles", () => {
  it("lists the markdown runbooks of a folder, sorted, without README.md", () => {
    const dir = runbooksFolder({ "b.md": "", "a.md": "", "README.md": "", "notes.txt": "" });
    mkdirSync(join(dir, "nested.md"));
    expect(listRunbookFiles(dir)).toEqual([join(dir, "a.md"), join(dir, "b.md")]);
  });
});

describe("compileProject", () => {
  it("compiles a folder into six definitions per runbook and a manifest", () => {
    const dir = runbooksFolder({ "sample.md": SAMPLE_RUNBOOK, "stale.md": STALE_KEYS_RUNBOOK });
    const result = compileProject(listRunbookFiles(dir), dir);
    expect(result.diagnostics).toEqual([]);
    expect(result.compiled.map((c) => c.runbook.file)).toEqual(["sample.md", "stale.md"]);
    expect([...result.files!.keys()].sort()).toEqual(
      [...MACHINE_FILES, ...MACHINE_FILES.map((f) => f.replace("sample-compromise", "stale-access-keys")), "manifest.json"].sort(),
    );
    const contain = JSON.parse(result.files!.get("sample-compromise/contain.asl.json")!) as { StartAt: string };
    expect(contain.StartAt).toBe("Plan: Isolate the instance");
    expect(result.files!.get("manifest.json")!.endsWith("}\n")).toBe(true);
  });

  it("reports two runbooks with the same id at the second one's id line, and writes nothing", () => {
    const dir = runbooksFolder({ "a.md": SAMPLE_RUNBOOK, "b.md": SAMPLE_RUNBOOK });
    const result = compileProject(listRunbookFiles(dir), dir);
    const duplicates = result.diagnostics.filter((d) => d.code === "duplicate-runbook-id");
    expect(duplicates).toHaveLength(1);
    expect(duplicates[0]).toMatchObject({ file: "b.md", line: lineOf(SAMPLE_RUNBOOK, "id: sample-compromise"), severity: "error" });
    expect(duplicates[0]!.message).toContain("a.md");
    expect(duplicates[0]!.message).toContain("sample-compromise");
    expect(result.files).toBeUndefined();
    expect(result.manifest).toBeUndefined();
  });

  it("writes nothing when one runbook of several is broken, and says which", () => {
    const dir = runbooksFolder({ "good.md": STALE_KEYS_RUNBOOK, "bad.md": SAMPLE_RUNBOOK.replace("task: ec2.isolate-instance", "task: ec2.isolate") });
    const result = compileProject(listRunbookFiles(dir), dir);
    expect(result.diagnostics.map((d) => [d.file, d.code])).toEqual([["bad.md", "unknown-task"]]);
    expect(result.files).toBeUndefined();
    expect(result.compiled.map((c) => c.runbook.id)).toEqual(["stale-access-keys"]);
  });

  it("builds a manifest naming each machine, the tasks it may invoke and who uses each task", () => {
    const dir = runbooksFolder({ "sample.md": SAMPLE_RUNBOOK, "stale.md": STALE_KEYS_RUNBOOK });
    const { manifest } = compileProject(listRunbookFiles(dir), dir);
    expect(manifest!.runbooks.map((r) => [r.id, r.incidentMachine])).toEqual([
      ["sample-compromise", "irflow-sample-compromise-incident"],
      ["stale-access-keys", "irflow-stale-access-keys-incident"],
    ]);
    const contain = manifest!.machines.find((m) => m.name === "irflow-sample-compromise-contain")!;
    expect(contain).toMatchObject({ runbook: "sample-compromise", machine: "contain", definition: "sample-compromise/contain.asl.json" });
    expect(contain.tasks).toContain("ec2.isolate-instance");
    const incident = manifest!.machines.find((m) => m.name === "irflow-sample-compromise-incident")!;
    expect(incident.starts).toEqual(["irflow-sample-compromise-contain", "irflow-sample-compromise-detect", "irflow-sample-compromise-eradicate", "irflow-sample-compromise-post-incident", "irflow-sample-compromise-recover"]);
    expect(manifest!.tasks["ec2.isolate-instance"]).toMatchObject({ risk: "reversible", usedBy: ["irflow-sample-compromise-contain"] });
    // Every phase machine with steps records failures; the empty ones and the incident machines do not.
    expect(manifest!.tasks["audit.record-failure"]!.usedBy).toEqual([
      ...["detect", "contain", "eradicate", "recover", "post-incident"].map((m) => `irflow-sample-compromise-${m}`),
      "irflow-stale-access-keys-detect",
      "irflow-stale-access-keys-contain",
    ]);
    expect(manifest!.tasks["ec2.block-ip"]).toBeUndefined();
    expect(manifest!.runbooks[1]!.triggers).toEqual([{ kind: "schedule", source: "schedule", description: "on the schedule rate(1 day)", expression: "rate(1 day)" }]);
  });
});

describe("generated files", () => {
  const sources = runbooksFolder({ "sample.md": SAMPLE_RUNBOOK });
  const expected = compileProject(listRunbookFiles(sources), sources).files!;

  function freshCopy(): string {
    const out = join(tempDir("generated"), "generated");
    const written = writeGenerated(out, expected);
    expect(written).toEqual({ changed: [], missing: [...expected.keys()], extra: [] });
    return out;
  }

  it("writes every file, after which the folder is fresh", () => {
    const out = freshCopy();
    expect(tree(out)).toEqual(["manifest.json", "sample-compromise/", ...MACHINE_FILES].sort());
    for (const [path, content] of expected) expect(readFileSync(join(out, path), "utf8")).toBe(content);
    const drift = compareGenerated(out, expected);
    expect(drift).toEqual({ changed: [], missing: [], extra: [] });
    expect(isFresh(drift)).toBe(true);
    // Writing again changes nothing.
    expect(writeGenerated(out, expected)).toEqual({ changed: [], missing: [], extra: [] });
  });

  it("reports an edited file as changed", () => {
    const out = freshCopy();
    writeFileSync(join(out, "sample-compromise/contain.asl.json"), expected.get("sample-compromise/contain.asl.json")!.replace("Plan: Isolate", "Plan: Isolat"));
    const drift = compareGenerated(out, expected);
    expect(drift).toEqual({ changed: ["sample-compromise/contain.asl.json"], missing: [], extra: [] });
    expect(isFresh(drift)).toBe(false);
  });

  it("reports a deleted file as missing", () => {
    const out = freshCopy();
    unlinkSync(join(out, "manifest.json"));
    expect(compareGenerated(out, expected)).toEqual({ changed: [], missing: ["manifest.json"], extra: [] });
  });

  it("reports a generated file no runbook produces as extra, and leaves files that are not its own alone", () => {
    const out = freshCopy();
    mkdirSync(join(out, "retired-runbook"));
    writeFileSync(join(out, "retired-runbook/contain.asl.json"), "{}\n");
    writeFileSync(join(out, "notes.txt"), "hand-written\n");
    expect(compareGenerated(out, expected)).toEqual({ changed: [], missing: [], extra: ["retired-runbook/contain.asl.json"] });
    writeGenerated(out, expected);
    expect(existsSync(join(out, "notes.txt"))).toBe(true);
    expect(existsSync(join(out, "retired-runbook"))).toBe(false);
  });

  it("reports a missing folder as every file missing", () => {
    const out = join(tempDir("absent"), "never-written");
    expect(compareGenerated(out, expected)).toEqual({ changed: [], missing: [...expected.keys()], extra: [] });
  });

  it("writeGenerated repairs all three kinds of drift, removing extras and emptied folders", () => {
    const out = freshCopy();
    writeFileSync(join(out, "sample-compromise/detect.asl.json"), "{}\n");
    unlinkSync(join(out, "sample-compromise/recover.asl.json"));
    mkdirSync(join(out, "retired-runbook"));
    writeFileSync(join(out, "retired-runbook/contain.asl.json"), "{}\n");
    writeFileSync(join(out, "retired-runbook/incident.asl.json"), "{}\n");
    mkdirSync(join(out, "empty-folder"));

    const drift = writeGenerated(out, expected);
    expect(drift).toEqual({
      changed: ["sample-compromise/detect.asl.json"],
      missing: ["sample-compromise/recover.asl.json"],
      extra: ["retired-runbook/contain.asl.json", "retired-runbook/incident.asl.json"],
    });
    expect(existsSync(join(out, "retired-runbook"))).toBe(false);
    expect(existsSync(join(out, "empty-folder"))).toBe(false);
    expect(tree(out)).toEqual(["manifest.json", "sample-compromise/", ...MACHINE_FILES].sort());
    expect(readFileSync(join(out, "sample-compromise/detect.asl.json"), "utf8")).toBe(expected.get("sample-compromise/detect.asl.json"));
    expect(isFresh(compareGenerated(out, expected))).toBe(true);
  });
});
