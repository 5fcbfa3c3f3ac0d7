import { describe, expect, it } from "vitest";
import type { MapState, StateMachine } from "../../workflows/compiler/asl.js";
import { toMermaid } from "../../workflows/graph/mermaid.js";
import { SAMPLE_RUNBOOK } from "../fixtures/sample-runbook.js";
import { compileOk, machineOf, STALE_KEYS_RUNBOOK } from "./helpers.js";

/** Node ids by label, read back from the chart's node declarations. */
function nodes(chart: string): Map<string, string> {
  const ids = new Map<string, string>();
  for (const match of chart.matchAll(/^\s*(s\d+)(?:\[|\{\{|\{|\(\[)"([^"]*)"/gm)) ids.set(match[2]!, match[1]!);
  for (const match of chart.matchAll(/^\s*subgraph (s\d+) \["([^"]*) \(for each item\)"\]/gm)) ids.set(match[2]!, match[1]!);
  return ids;
}

const sample = compileOk(SAMPLE_RUNBOOK);

describe("toMermaid", () => {
  const chart = toMermaid(machineOf(sample, "contain"), "Sample instance compromise: contain");
  const id = (label: string) => {
    const found = nodes(chart).get(label);
    expect(found, `node "${label}" in\n${chart}`).toBeDefined();
    return found!;
  };

  it("is a top-down flowchart with a title, starting at the machine's first state", () => {
    expect(chart).toMatch(/^---\ntitle: "Sample instance compromise: contain"\n---\nflowchart TD\n/);
    expect(chart).toContain(`start((start)) --> ${id("Plan: Isolate the instance")}`);
  });

  it("draws approvals as hexagons and tasks as boxes, linked in order", () => {
    expect(chart).toContain(`${id("Approve: Isolate the instance")}{{"Approve: Isolate the instance"}}:::approval`);
    expect(chart).toContain(`${id("Escalate: Isolate the instance")}{{"Escalate: Isolate the instance"}}:::approval`);
    expect(chart).toContain(`${id("Isolate the instance")}["Isolate the instance"]`);
    expect(chart).toContain(`${id("Plan: Isolate the instance")} --> ${id("Approve: Isolate the instance")}`);
    expect(chart).toContain(`${id("Approve: Isolate the instance")} --> ${id("Isolate the instance")}`);
  });

  it("draws caught errors as dashed edges labelled with the errors", () => {
    expect(chart).toContain(`${id("Approve: Isolate the instance")} -.->|States.Timeout| ${id("Escalate: Isolate the instance")}`);
    expect(chart).toContain(`${id("Approve: Isolate the instance")} -.->|Rejected| ${id("Record failure: Isolate the instance")}`);
    expect(chart).toContain(`${id("Record failure: Isolate the instance")} --> ${id("Phase failed")}`);
  });

  it("draws ends as rounded nodes, success and failure apart", () => {
    expect(chart).toContain(`${id("Contain complete")}(["Contain complete"]):::success`);
    expect(chart).toContain(`${id("Phase failed")}(["Phase failed"]):::failure`);
  });

  it("draws choices as diamonds with a yes and an otherwise edge", () => {
    const eradicate = toMermaid(machineOf(sample, "eradicate"));
    const ids = nodes(eradicate);
    expect(eradicate.startsWith("flowchart TD\n")).toBe(true);
    const check = ids.get("Check: Terminate the instance")!;
    expect(eradicate).toContain(`${check}{"Check: Terminate the instance"}`);
    expect(eradicate).toContain(`${check} -->|yes| ${ids.get("Plan: Terminate the instance")!}`);
    expect(eradicate).toContain(`${check} -->|otherwise| ${ids.get("Eradicate complete")!}`);
  });

  it("draws a foreach step as a subgraph holding its item states", () => {
    const machine = machineOf(compileOk(STALE_KEYS_RUNBOOK, "runbooks/stale.md"), "contain");
    const innerName = Object.keys((machine.States["Deactivate stale keys"] as MapState).ItemProcessor.States).find((name) => name.startsWith("Each: ") && !name.endsWith(")"))!;
    const contain = toMermaid(machine);
    const ids = nodes(contain);
    const map = ids.get("Deactivate stale keys")!;
    const inner = ids.get(innerName)!;
    expect(map).toBeDefined();
    expect(inner).toBeDefined();
    const start = contain.indexOf(`subgraph ${map} ["Deactivate stale keys (for each item)"]\n`);
    expect(start).toBeGreaterThan(0);
    const body = contain.slice(start, contain.indexOf("\n  end\n", start));
    expect(body).toContain(`${inner}["${innerName}"]`);
    expect(contain).toContain(`${map} --> ${ids.get("Warn the owners")!}`);
  });

  it("escapes quotes and angle brackets in labels, and gives every state its own node", () => {
    const machine: StateMachine = {
      Comment: "c",
      QueryLanguage: "JSONPath",
      StartAt: 'Say "hi" <now>',
      States: {
        'Say "hi" <now>': { Type: "Pass", Comment: "x", Next: "End" },
        End: { Type: "Succeed", Comment: "x" },
      },
    };
    const out = toMermaid(machine);
    expect(out).toContain('s0["Say #quot;hi#quot; #lt;now#gt;"]');
    expect(out).toContain("s0 --> s1");
    expect(out).not.toMatch(/\["[^\]]*"[^\]]*"\]/);
    const full = toMermaid(machineOf(sample, "incident"));
    expect(new Set([...nodes(full).values()]).size).toBe(Object.keys(machineOf(sample, "incident").States).length);
  });
});
