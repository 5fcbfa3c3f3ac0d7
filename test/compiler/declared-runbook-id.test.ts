/** The id a runbook declares, read without compiling it: what `graph` and `incidents --runbook` check an id against. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DEFAULT_RUNBOOKS_DIR, PROJECT_ROOT } from "../../cli/project-paths.js";
import { compileProject, listRunbookFiles } from "../../workflows/compile-project.js";
import { declaredRunbookId } from "../../workflows/runbook/parse-runbook.js";
import { SAMPLE_RUNBOOK } from "../fixtures/sample-runbook.js";

describe("declaredRunbookId", () => {
  it("is the id each project runbook compiles under", () => {
    const files = listRunbookFiles(DEFAULT_RUNBOOKS_DIR);
    const compiled = compileProject(files, PROJECT_ROOT).compiled.map((c) => c.runbook.id);
    expect(files.map((file) => declaredRunbookId(readFileSync(file, "utf8")))).toEqual(compiled);
  });

  it("reads the id of a runbook with problems elsewhere: its front matter or its sections", () => {
    expect(declaredRunbookId(SAMPLE_RUNBOOK)).toBe("sample-compromise");
    expect(declaredRunbookId(SAMPLE_RUNBOOK.replace("severity: high", "severity: urgent"))).toBe("sample-compromise");
    expect(declaredRunbookId(SAMPLE_RUNBOOK.replaceAll("## ", "#### "))).toBe("sample-compromise");
  });

  it("is undefined when there is no well-formed id to read", () => {
    expect(declaredRunbookId("# no front matter\n")).toBeUndefined();
    expect(declaredRunbookId(SAMPLE_RUNBOOK.replace("id: sample-compromise", "id: Sample Compromise"))).toBeUndefined();
    expect(declaredRunbookId(SAMPLE_RUNBOOK.replace("id: sample-compromise\n", ""))).toBeUndefined();
    expect(declaredRunbookId(SAMPLE_RUNBOOK.replace("severity: high", "severity: [high"))).toBeUndefined();
  });
});
