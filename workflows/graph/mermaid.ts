import type { State, StateMachine } from "../compiler/asl.js";

/**
 * A Mermaid flowchart of one state machine, for reviews, responders and auditors: tasks as boxes,
 * choices as diamonds, approvals as hexagons, failures as dashed edges with the error they carry.
 */
export function toMermaid(machine: StateMachine, title?: string): string {
  const lines: string[] = [];
  if (title) lines.push("---", `title: ${JSON.stringify(title.replace(/\n/g, " "))}`, "---");
  lines.push("flowchart TD");
  const ids = new Map<string, string>();
  const idOf = (scope: string, name: string): string => {
    const key = `${scope}\u0000${name}`;
    if (!ids.has(key)) ids.set(key, `s${ids.size}`);
    return ids.get(key)!;
  };
  lines.push(`  start((start)) --> ${idOf("", machine.StartAt)}`);
  render(machine.States, "", "  ", lines, idOf);
  lines.push("  classDef approval fill:#fff3cd,stroke:#b58900;", "  classDef failure fill:#f8d7da,stroke:#a94442;", "  classDef success fill:#d4edda,stroke:#3c763d;");
  return `${lines.join("\n")}\n`;
}

function render(states: Record<string, State>, scope: string, indent: string, lines: string[], idOf: (scope: string, name: string) => string): void {
  for (const [name, state] of Object.entries(states)) {
    const id = idOf(scope, name);
    const label = escapeLabel(name);
    switch (state.Type) {
      case "Choice":
        lines.push(`${indent}${id}{"${label}"}`);
        for (const choice of state.Choices) lines.push(`${indent}${id} -->|yes| ${idOf(scope, choice.Next)}`);
        lines.push(`${indent}${id} -->|otherwise| ${idOf(scope, state.Default)}`);
        continue;
      case "Succeed":
        lines.push(`${indent}${id}(["${label}"]):::success`);
        continue;
      case "Fail":
        lines.push(`${indent}${id}(["${label}"]):::failure`);
        continue;
      case "Map":
        lines.push(`${indent}subgraph ${id} ["${label} (for each item)"]`);
        render(state.ItemProcessor.States, `${scope}/${name}`, `${indent}  `, lines, idOf);
        lines.push(`${indent}end`);
        break;
      case "Task":
        lines.push(state.Resource.endsWith(".waitForTaskToken") ? `${indent}${id}{{"${label}"}}:::approval` : `${indent}${id}["${label}"]`);
        break;
      case "Pass":
        lines.push(`${indent}${id}["${label}"]`);
        break;
    }
    if ("Next" in state && state.Next) lines.push(`${indent}${id} --> ${idOf(scope, state.Next)}`);
    for (const catcher of "Catch" in state ? (state.Catch ?? []) : []) {
      lines.push(`${indent}${id} -.->|${escapeLabel(catcher.ErrorEquals.join(", "))}| ${idOf(scope, catcher.Next)}`);
    }
  }
}

function escapeLabel(text: string): string {
  return text.replace(/"/g, "#quot;").replace(/[<>]/g, (c) => (c === "<" ? "#lt;" : "#gt;"));
}
