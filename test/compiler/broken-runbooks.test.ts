import { describe, expect, it } from "vitest";
import { compileRunbookSource } from "../../workflows/compiler/compile-runbook.js";
import { registryCatalogue } from "../../workflows/compiler/task-catalogue.js";
import type { Diagnostic } from "../../workflows/diagnostics.js";
import { lineOf, SAMPLE_RUNBOOK } from "../fixtures/sample-runbook.js";

function compile(text: string) {
  return compileRunbookSource("runbooks/sample.md", text, { tasks: registryCatalogue });
}

function errors(text: string): Diagnostic[] {
  return compile(text).diagnostics.filter((d) => d.severity === "error");
}

function mutate(from: string, to: string): string {
  expect(SAMPLE_RUNBOOK).toContain(from);
  return SAMPLE_RUNBOOK.replace(from, () => to);
}

interface Case {
  readonly name: string;
  readonly text: string;
  readonly code: string;
  /** Marker whose line the diagnostic must point at. */
  readonly at: string;
  readonly message?: RegExp;
  readonly hint?: RegExp;
}

const cases: Case[] = [
  {
    name: "an unknown task, with the closest name as a hint",
    text: mutate("task: ec2.isolate-instance # @isolate-task", "task: ec2.isolate-instanse # @isolate-task"),
    code: "unknown-task",
    at: "@isolate-task",
    hint: /ec2\.isolate-instance/,
  },
  {
    name: "an input the task does not have",
    text: mutate("instanceId: $.resource.instanceId # @describe-input", "instance: $.resource.instanceId # @describe-input"),
    code: "unknown-input",
    at: "@describe-input",
    hint: /instanceId/,
  },
  {
    name: "a required input left out",
    text: mutate("instanceId: $.resource.instanceId # @describe-input", "{} # @describe-input"),
    code: "missing-input",
    at: "@describe-input",
  },
  {
    name: "a literal that does not match the task's schema (injection-looking id)",
    text: mutate("instanceId: $.resource.instanceId # @describe-input", 'instanceId: "i-123; rm -rf /" # @describe-input'),
    code: "invalid-input",
    at: "@describe-input",
    message: /instance id/,
  },
  {
    name: "a path holding the wrong kind of id",
    text: mutate("instanceId: $.resource.instanceId # @describe-input", "instanceId: $.resource.vpcId # @describe-input"),
    code: "input-type",
    at: "@describe-input",
  },
  {
    name: "a path that does not resolve, with a spelling hint",
    text: mutate("instanceId: $.resource.instanceId # @describe-input", "instanceId: $.resource.instanceID # @describe-input"),
    code: "unresolved-path",
    at: "@describe-input",
    hint: /instanceId/,
  },
  {
    name: "a destructive task without approval",
    text: mutate("approval: two-person # @terminate-approval", "approval: none # @terminate-approval"),
    code: "destructive-without-approval",
    at: "@terminate-approval",
  },
  {
    name: "on-timeout: proceed on a destructive step",
    text: mutate("approval: two-person # @terminate-approval", "approval: two-person # @terminate-approval\non-timeout: proceed # @proceed"),
    code: "proceed-on-destructive",
    at: "@proceed",
  },
  {
    name: "changing a resource before its evidence is captured",
    text: mutate("task: ec2.capture-memory", "task: ec2.describe-instance"),
    code: "evidence-first",
    at: "@terminate-task",
    message: /ec2-instance-memory/,
  },
  {
    name: "two steps with the same name",
    text: mutate("### Capture memory", "### Snapshot the volumes"),
    code: "duplicate-step",
    at: "### Snapshot the volumes\n```step\ntask: ec2.capture-memory",
  },
  {
    name: "a section that is not a phase but holds steps",
    text: mutate("## Eradicate", "## Eradication"),
    code: "unknown-phase",
    at: "## Eradication",
    hint: /Eradicate/,
  },
  {
    name: "phases out of order",
    text: mutate("## Recover", "## Post-incident-x").replace("## Post-incident\n", "## Recover\n").replace("## Post-incident-x", "## Post-incident"),
    code: "phase-order",
    at: "## Recover",
  },
  {
    name: "a phase twice",
    text: mutate("## Recover", "## Contain"),
    code: "duplicate-phase",
    at: "## Contain\n\n### Tell the owner",
  },
  {
    name: "a front-matter value out of range",
    text: mutate("severity: high", "severity: urgent # @severity"),
    code: "front-matter",
    at: "@severity",
  },
  {
    name: "a trigger with a bad field",
    text: mutate("minSeverity: 7", "minSeverity: 12 # @trigger"),
    code: "trigger",
    at: "@trigger",
  },
  {
    name: "a trigger of an unknown kind",
    text: mutate("  - manual: true", "  - guarduty: [\"Backdoor:EC2/*\"] # @trigger-kind"),
    code: "trigger",
    at: "@trigger-kind",
    hint: /guardduty/,
  },
  {
    name: "invalid YAML in a step block",
    text: mutate("instanceId: $.instance.instanceId", "instanceId: $.instance.instanceId\n  instanceId: i-0123456789abcdef0 # @yaml"),
    code: "step-syntax",
    at: "@yaml",
  },
  {
    name: "an unknown field in a step block, with the right spelling",
    text: mutate("timeout: 15m\non-timeout: escalate", "timeout: 15m\nonTimeout: escalate # @field"),
    code: "step-block",
    at: "@field",
    hint: /on-timeout/,
  },
  {
    name: "approval on a task that changes nothing",
    text: mutate("instanceId: $.resource.instanceId # @describe-input\nsave: $.instance", "instanceId: $.resource.instanceId\napproval: required # @approval\nsave: $.instance"),
    code: "approval-on-read",
    at: "@approval",
  },
  {
    name: "saving over a field irflow maintains",
    text: mutate("save: $.snapshots", "save: $.resource # @save"),
    code: "save-reserved",
    at: "@save",
  },
  {
    name: "saving over an earlier step's result",
    text: mutate("save: $.snapshots", "save: $.instance # @save"),
    code: "save-overwrites",
    at: "@save",
  },
  {
    name: "foreach over something that is not a list",
    text: mutate("save: $.snapshots", "foreach: $.resource.instanceId # @foreach\nsave: $.snapshots"),
    code: "foreach-not-list",
    at: "@foreach",
  },
  {
    name: "a timeout on a step without approval",
    text: mutate("  audience: owner", "  audience: owner\ntimeout: 5m # @timeout"),
    code: "timeout-without-approval",
    at: "@timeout",
  },
  {
    name: "escalation without an escalation group",
    text: mutate('  escalation: ["arn:aws:iam::*:role/SecurityOnCall"]\n', "").replace("on-timeout: escalate", "on-timeout: escalate # @escalate"),
    code: "no-escalation-group",
    at: "@escalate",
  },
  {
    name: "a step block outside any step",
    text: mutate("## Detect\n", "## Detect\n\n```step # @orphan\ntask: sns.notify\n```\n"),
    code: "orphan-step-block",
    at: "@orphan",
  },
  {
    name: "a condition comparing a text with a number",
    text: mutate("  exists: true", "  gt: 5 # @gt"),
    code: "condition-type",
    at: "@gt",
  },
  {
    name: "a missing front matter",
    text: SAMPLE_RUNBOOK.slice(SAMPLE_RUNBOOK.indexOf("# Sample instance")),
    code: "missing-front-matter",
    at: "# Sample instance",
  },
  {
    name: "a use of the context object",
    text: mutate("instanceId: $.resource.instanceId # @describe-input", "instanceId: $$.Execution.Input # @describe-input"),
    code: "bad-path",
    at: "@describe-input",
  },
];

describe("broken runbooks", () => {
  it("start from a valid sample", () => {
    const result = compile(SAMPLE_RUNBOOK);
    expect(result.diagnostics).toEqual([]);
    expect(result.compiled?.machines).toHaveLength(6);
  });

  it.each(cases)("reports $name as $code at its line", ({ text, code, at, message, hint }) => {
    const found = errors(text);
    const match = found.find((d) => d.code === code);
    expect(match, `expected ${code} among ${JSON.stringify(found, null, 1)}`).toBeDefined();
    expect(match!.file).toBe("runbooks/sample.md");
    const expectedLine = lineOf(text, at.split("\n")[0]!) + (at.includes("\n") ? offsetOfBlock(text, at) : 0);
    expect(match!.line).toBe(expectedLine);
    expect(match!.column).toBeGreaterThanOrEqual(1);
    if (message) expect(match!.message).toMatch(message);
    if (hint) expect(match!.hint).toMatch(hint);
  });

  it("covers at least fifteen distinct mistakes", () => {
    expect(new Set(cases.map((c) => c.code)).size).toBeGreaterThanOrEqual(15);
  });

  it("reports every error of a file at once, not just the first", () => {
    const text = SAMPLE_RUNBOOK.replace("severity: high", "severity: urgent")
      .replace("task: ec2.isolate-instance", "task: ec2.isolate")
      .replace("instanceId: $.resource.instanceId # @describe-input", "instanceId: $.resource.nope");
    const codes = errors(text).map((d) => d.code);
    // Front matter errors stop before steps are type-checked, so fix it and check steps together.
    expect(codes).toContain("front-matter");
    const steps = errors(text.replace("severity: urgent", "severity: high")).map((d) => d.code);
    expect(steps).toEqual(expect.arrayContaining(["unknown-task", "unresolved-path"]));
  });

  it("a step block that fails its schema hides none of the other steps' problems, and causes none", () => {
    const text = mutate("approval: two-person # @terminate-approval", "approval: two-persn # @terminate-approval").replace(
      "task: ec2.isolate-instance # @isolate-task",
      "task: ec2.isolate-instanse # @isolate-task",
    );
    // The unknown task's step saves $.isolation; nothing that reads the document trips over it.
    const found = byLine(errors(text)).map((d) => `${d.line} ${d.code}: ${d.message}`);
    expect(found).toEqual([
      `${lineOf(text, "@isolate-task")} unknown-task: unknown task "ec2.isolate-instanse"`,
      `${lineOf(text, "@terminate-approval")} step-block: step "Terminate the instance" "approval": Invalid option: expected one of "none"|"required"|"two-person"`,
    ]);
    expect(compile(text).compiled).toBeUndefined();
  });

  it("the rest of a broken step is still checked, without the checks its broken fields decide", () => {
    // The describe step's approval: is misspelt as a key, so its timeout: is not judged against an
    // approval it may have (read without it, the step would default to none and "have nothing to
    // wait for"); the archive step's misspelt input is reported (unknown, and the real one missing).
    const text = mutate("save: $.instance", "aproval: required # @describe-approval\ntimeout: 15m\nsave: $.instance")
      .replace("findingId: $.trigger.findingId", "findingID: $.trigger.findingId # @archive-input")
      .replace("detectorId: $.trigger.detectorId", "detectorId: $.trigger.detectorId # @archive-with");
    const found = byLine(errors(text)).map((d) => `${d.line} ${d.code}: ${d.message}`);
    expect(found).toEqual([
      `${lineOf(text, "@describe-approval")} step-block: step "Describe the instance" "aproval": unknown field "aproval"`,
      `${lineOf(text, "@archive-with")} missing-input: guardduty.archive-finding needs input "findingId"`,
      `${lineOf(text, "@archive-input")} unknown-input: guardduty.archive-finding has no input "findingID"`,
    ]);
  });

  it("an unreadable with: (a wrong type, or its key misspelt) is its block's one error: the task's inputs are not then called missing", () => {
    for (const [broken, message] of [
      ["with: 5 # @describe-with", `step "Describe the instance" "with": Invalid input: expected record, received number`],
      ["wth: # @describe-with", `step "Describe the instance" "wth": unknown field "wth"`],
    ] as const) {
      const text = mutate("with:\n  instanceId: $.resource.instanceId # @describe-input", broken);
      const found = byLine(errors(text)).map((d) => `${d.line} ${d.code}: ${d.message}`);
      expect(found).toEqual([`${lineOf(text, "@describe-with")} step-block: ${message}`]);
      expect(found.some((line) => line.includes("missing-input"))).toBe(false);
    }
  });

  it("a later step reading what an unreadable block saved reports only its own mistakes", () => {
    // The snapshot step's YAML is broken, so what it saves (and captures) is unknown: the recover
    // step reads $.snapshots (fine, as far as anyone can tell) and has a misspelt input (not fine);
    // terminating is not held to the disk capture the broken step may make.
    const text = mutate("instanceId: $.instance.instanceId\nsave: $.snapshots", "instanceId: [$.instance.instanceId\nsave: $.snapshots # @snapshot-save").replace(
      'subject: "Instance {$.resource.instanceId} replaced"',
      'subject: "Instance {$.snapshots.snapshotIds} replaced"\n  audiense: owner # @notify-input',
    );
    const codes = errors(text).map((d) => d.code);
    expect(codes).toContain("step-syntax");
    expect(codes.filter((code) => code !== "step-syntax")).toEqual(["unknown-input"]);
    expect(errors(text).find((d) => d.code === "unknown-input")?.line).toBe(lineOf(text, "@notify-input"));
  });

  it("accepts a destroying step when evidence is waived with a reason", () => {
    const text = mutate("task: ec2.capture-memory", "task: ec2.describe-instance").replace(
      "approval: two-person # @terminate-approval",
      "approval: two-person # @terminate-approval\nevidence: { waived: \"memory is worthless on this stateless batch worker\" }",
    );
    expect(errors(text)).toEqual([]);
  });

  it("refuses a waiver without a reason", () => {
    const text = mutate("approval: two-person # @terminate-approval", 'approval: two-person\nevidence: { waived: "no" } # @waiver');
    const found = errors(text).find((d) => d.code === "step-block");
    expect(found?.line).toBe(lineOf(text, "@waiver"));
  });
});

const byLine = (found: Diagnostic[]): Diagnostic[] => [...found].sort((a, b) => a.line - b.line);

/** For markers spanning lines: the line of the marker's last line. */
function offsetOfBlock(text: string, marker: string): number {
  const start = text.indexOf(marker);
  const firstLine = text.slice(0, start).split("\n").length;
  return lineOf(text.slice(start), marker.split("\n")[0]!) + firstLine - 1 - lineOf(text, marker.split("\n")[0]!);
}
