import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { compileRunbookSource, namedMachines, type CompiledRunbook } from "../../workflows/compiler/compile-runbook.js";
import { validateAsl } from "../../workflows/compiler/validate-asl.js";
import { registryCatalogue } from "../../workflows/compiler/task-catalogue.js";
import { SAMPLE_RUNBOOK } from "../fixtures/sample-runbook.js";

const lines = SAMPLE_RUNBOOK.split("\n");

/** Runbooks that compiled during a property run; asl-validator checks them in one pass after it. */
const compiledDuringRun: CompiledRunbook[] = [];

/** Only diagnostics may come out: never an exception, never an invalid machine. */
function checkNeverThrows(text: string): void {
  let result: ReturnType<typeof compileRunbookSource> | undefined;
  expect(() => {
    result = compileRunbookSource("runbooks/fuzz.md", text, { tasks: registryCatalogue, skipAslValidator: true });
  }).not.toThrow();
  if (result!.compiled) compiledDuringRun.push(result!.compiled);
  for (const d of result!.diagnostics) {
    expect(d.line).toBeGreaterThanOrEqual(1);
    expect(d.column).toBeGreaterThanOrEqual(1);
    expect(d.code).toMatch(/^[a-z-]+$/);
    // A runbook that passes every check must compile to valid ASL: anything else is our bug.
    expect(d.code).not.toBe("generated-asl");
  }
  if (result!.compiled) expect(result!.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
}

const hostile = fc.constantFrom(
  "i-123; rm -rf /",
  "$.resource['instanceId']",
  "$..*",
  "$[?(@.x)]",
  "{$.resource.instanceId}",
  "'; DROP TABLE incidents; --",
  "\u0000",
  "\u202e",
  "🔥🔥",
  "&a [1, *a]",
  "!!js/function 'x'",
  "~",
  "null",
  "x".repeat(5000),
  "\t",
  "- - -",
  "```",
  "---",
  "## Contain",
  "### Isolate the instance",
);

const mutation = fc.oneof(
  fc.record({ kind: fc.constant("delete" as const), line: fc.nat(lines.length - 1) }),
  fc.record({ kind: fc.constant("duplicate" as const), line: fc.nat(lines.length - 1) }),
  fc.record({ kind: fc.constant("swap" as const), line: fc.nat(lines.length - 2) }),
  fc.record({ kind: fc.constant("insert" as const), line: fc.nat(lines.length - 1), text: fc.oneof(hostile, fc.string({ maxLength: 40 })) }),
  fc.record({ kind: fc.constant("replace-value" as const), line: fc.nat(lines.length - 1), text: fc.oneof(hostile, fc.string({ maxLength: 20 }), fc.integer().map(String)) }),
);

interface Mutation {
  readonly kind: string;
  readonly line: number;
  readonly text?: string;
}

function apply(source: string[], mutations: readonly Mutation[]): string {
  const out = [...source];
  for (const m of mutations) {
    const at = Math.min(m.line, out.length - 1);
    if (at < 0) break;
    switch (m.kind) {
      case "delete":
        out.splice(at, 1);
        break;
      case "duplicate":
        out.splice(at, 0, out[at]!);
        break;
      case "swap":
        if (at + 1 < out.length) [out[at], out[at + 1]] = [out[at + 1]!, out[at]!];
        break;
      case "insert":
        out.splice(at, 0, m.text!);
        break;
      case "replace-value": {
        const colon = out[at]!.indexOf(":");
        if (colon >= 0) out[at] = `${out[at]!.slice(0, colon + 1)} ${m.text!}`;
        break;
      }
    }
  }
  return out.join("\n");
}

describe("compiler fuzzing", () => {
  afterAll(() => {
    // Whatever passed every check must be valid ASL; a failure here is a compiler bug.
    expect(compiledDuringRun.length).toBeGreaterThan(0);
    expect(validateAsl(namedMachines(compiledDuringRun))).toEqual([]);
  });

  it("never throws on mutated runbooks, and whatever compiles is valid", () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 6 }), (mutations) => {
        checkNeverThrows(apply(lines, mutations));
      }),
      { numRuns: 400, seed: 20261124 },
    );
  });

  it("never throws on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400, unit: "grapheme" }), (text) => {
        checkNeverThrows(text);
        checkNeverThrows(`---\n${text}\n---\n## Contain\n### Step\n\`\`\`step\n${text}\n\`\`\`\n`);
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  it("never throws on arbitrary YAML values in front matter and step fields", () => {
    const yamlValue = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v));
    fc.assert(
      fc.property(fc.constantFrom("id", "severity", "triggers", "approvers", "title"), fc.constantFrom("task", "with", "approval", "timeout", "when", "foreach", "retry", "save", "evidence", "on-timeout"), yamlValue, yamlValue, (frontKey, stepKey, a, b) => {
        const text = SAMPLE_RUNBOOK.replace(new RegExp(`^${frontKey}:.*$`, "m"), () => `${frontKey}: ${a}`).replace(/^save: \$\.isolation$/m, () => `${stepKey}: ${b}`);
        checkNeverThrows(text);
      }),
      { numRuns: 300, seed: 42 },
    );
  });

  it("refuses an oversized runbook instead of parsing it", () => {
    const result = compileRunbookSource("runbooks/huge.md", SAMPLE_RUNBOOK + "x".repeat(600 * 1024), { tasks: registryCatalogue });
    expect(result.diagnostics.map((d) => d.code)).toEqual(["too-large"]);
  });
});
