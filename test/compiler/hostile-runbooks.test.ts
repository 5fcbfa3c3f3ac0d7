import { describe, expect, it } from "vitest";
import { SAMPLE_RUNBOOK } from "../fixtures/sample-runbook.js";
import { compile, mutate } from "./helpers.js";

/**
 * Runbooks written to hurt the compiler (a review that missed a malicious pull request): each is
 * refused with located diagnostics, quickly, and never crashes it or yields a machine.
 */

function refused(text: string, budgetMs = 2000): string[] {
  const started = performance.now();
  let result: ReturnType<typeof compile> | undefined;
  expect(() => (result = compile(text))).not.toThrow();
  expect(performance.now() - started).toBeLessThan(budgetMs);
  const errors = result!.diagnostics.filter((d) => d.severity === "error");
  expect(errors.length, "expected the runbook to be refused").toBeGreaterThan(0);
  expect(result!.compiled).toBeUndefined();
  for (const d of errors) {
    expect(d.line).toBeGreaterThanOrEqual(1);
    expect(d.column).toBeGreaterThanOrEqual(1);
    expect(d.message.length).toBeLessThan(2000);
  }
  return errors.map((d) => d.code);
}

// A "billion laughs": nine levels of aliases, each nine times the one before.
const YAML_BOMB = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]", ...Array.from({ length: 8 }, (_, i) => {
  const me = String.fromCharCode(98 + i);
  const prev = String.fromCharCode(97 + i);
  return `${me}: &${me} [*${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}]`;
})].join("\n");

describe("hostile runbooks", () => {
  it("a YAML alias bomb in the front matter", () => {
    refused(SAMPLE_RUNBOOK.replace("---\nid: sample-compromise", `---\n${YAML_BOMB}\nid: sample-compromise`));
  });

  it("a YAML alias bomb in a step block", () => {
    refused(mutate("task: ec2.describe-instance", `task: ec2.describe-instance\n${YAML_BOMB.split("\n").map((l) => `x${l}`).join("\n")}`));
  });

  it("anchors and merge keys that smuggle a second task into a step", () => {
    refused(mutate("task: ec2.describe-instance", "base: &base { task: ec2.terminate-instance }\n<<: *base\ntask: ec2.describe-instance"));
  });

  it.each([
    ["an id with a shell injection", "id: sample-compromise; rm -rf /"],
    ["an id with path traversal", "id: ../../etc/passwd"],
    ["an id with a newline and a key", 'id: "sample\\nfoo: bar"'],
    ["an id with RTL override", "id: sample\u202ecompromise"],
    ["an id with a zero-width space", "id: sample\u200bcompromise"],
    ["an id with a JSONPath", "id: $.resource"],
    ["an id with a placeholder", "id: ${Task:ec2.terminate-instance}"],
    ["an id of __proto__", "id: __proto__"],
  ])("%s", (_name, line) => {
    refused(mutate("id: sample-compromise", line));
  });

  it("a task name with injection", () => {
    refused(mutate("task: ec2.describe-instance", "task: ec2.describe-instance; rm -rf /"));
  });

  it("a task name that names a placeholder (to reach another Lambda)", () => {
    refused(mutate("task: ec2.describe-instance", 'task: "${Task:ec2.terminate-instance}"'));
  });

  it("an input that smuggles a literal hostile id where a JSONPath or an id belongs", () => {
    refused(mutate("instanceId: $.resource.instanceId # @describe-input", 'instanceId: "i-123; rm -rf /"'));
  });

  it("prototype keys in the front matter and in a step", () => {
    refused(mutate("severity: high", "severity: high\n__proto__: { polluted: true }\nconstructor: { prototype: { polluted: true } }"));
    refused(mutate("save: $.instance", "save: $.instance\n__proto__: { polluted: true }"));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("a huge runbook (5 MB of prose and a 1 MB line) is refused or compiled, quickly, without a crash", () => {
    const huge = SAMPLE_RUNBOOK.replace("Prose for people.", `${"Prose for people. ".repeat(300_000)}\n${"x".repeat(1024 * 1024)}`);
    const started = performance.now();
    expect(() => compile(huge)).not.toThrow();
    expect(performance.now() - started).toBeLessThan(20_000);
  }, 30_000);

  it("ten thousand step headings", () => {
    const steps = Array.from({ length: 10_000 }, (_, i) => `### Step ${i}\n\`\`\`step\ntask: ec2.describe-instance; ${i}\n\`\`\``).join("\n");
    refused(SAMPLE_RUNBOOK.replace("## Detect\n", `## Detect\n${steps}\n`), 20_000);
  }, 30_000);
});
