/**
 * Shared helpers for the compiler tests: compile a runbook and insist it compiled, look states up
 * with their type checked, walk machines, and evaluate Choice rules against a document.
 */
import { expect } from "vitest";
import type { AslObject, AslValue, ChoiceState, MapState, State, StateMachine, TaskState } from "../../workflows/compiler/asl.js";
import { compileRunbookSource, type CompiledRunbook, type MachineName } from "../../workflows/compiler/compile-runbook.js";
import { registryCatalogue } from "../../workflows/compiler/task-catalogue.js";
import type { Diagnostic } from "../../workflows/diagnostics.js";
import { SAMPLE_RUNBOOK } from "../fixtures/sample-runbook.js";

export const SAMPLE_FILE = "runbooks/sample.md";

export function compile(text: string, file = SAMPLE_FILE): { compiled?: CompiledRunbook; diagnostics: Diagnostic[] } {
  return compileRunbookSource(file, text, { tasks: registryCatalogue });
}

/** Compiles and fails the test unless the runbook compiled without errors. */
export function compileOk(text: string, file = SAMPLE_FILE): CompiledRunbook {
  const result = compile(text, file);
  expect(result.diagnostics.filter((d) => d.severity === "error"), "expected the runbook to compile").toEqual([]);
  expect(result.compiled).toBeDefined();
  return result.compiled!;
}

export function errorCodes(text: string): string[] {
  return compile(text).diagnostics.filter((d) => d.severity === "error").map((d) => d.code);
}

/** The sample with one piece of text replaced; fails if the text is not in the sample. */
export function mutate(from: string, to: string, text = SAMPLE_RUNBOOK): string {
  expect(text).toContain(from);
  return text.replace(from, () => to);
}

export function machineOf(compiled: CompiledRunbook, name: MachineName): StateMachine {
  const found = compiled.machines.find((m) => m.name === name);
  expect(found, `machine ${name}`).toBeDefined();
  return found!.definition;
}

export function stateOf(machine: StateMachine | { States: Record<string, State> }, name: string): State {
  const state = machine.States[name];
  expect(state, `state "${name}" among ${JSON.stringify(Object.keys(machine.States))}`).toBeDefined();
  return state!;
}

export function taskOf(machine: StateMachine | { States: Record<string, State> }, name: string): TaskState {
  const state = stateOf(machine, name);
  expect(state.Type).toBe("Task");
  return state as TaskState;
}

export function choiceOf(machine: StateMachine, name: string): ChoiceState {
  const state = stateOf(machine, name);
  expect(state.Type).toBe("Choice");
  return state as ChoiceState;
}

export function mapOf(machine: StateMachine, name: string): MapState {
  const state = stateOf(machine, name);
  expect(state.Type).toBe("Map");
  return state as MapState;
}

/** Every state of a machine, Map item processors included, with the names of its parents. */
export function allStates(states: Record<string, State>, parents: string[] = []): { name: string; state: State; parents: string[] }[] {
  return Object.entries(states).flatMap(([name, state]) => [
    { name, state, parents },
    ...(state.Type === "Map" ? allStates(state.ItemProcessor.States, [...parents, name]) : []),
  ]);
}

/**
 * The states visited from `from` by following Next (and a Choice's Default), stopping at a state
 * that ends the machine. Throws on a loop so a broken chain cannot hang the test.
 */
export function followNext(machine: StateMachine, from = machine.StartAt): string[] {
  const path: string[] = [];
  let name: string | undefined = from;
  while (name !== undefined) {
    if (path.includes(name)) throw new Error(`loop at ${name}: ${path.join(" → ")}`);
    path.push(name);
    const state: State = stateOf(machine, name);
    name = state.Type === "Choice" ? state.Default : "Next" in state ? state.Next : undefined;
  }
  return path;
}

/** The value a simple reference path (`$.a.b`, no brackets) names in a document, or undefined. */
export function valueAt(document: unknown, path: string): unknown {
  expect(path.startsWith("$.")).toBe(true);
  let current: unknown = document;
  for (const key of path.slice(2).split(".")) {
    if (current === null || typeof current !== "object" || !(key in current)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/**
 * A Choice rule evaluated as Step Functions does, for the operators the compiler emits. An
 * operator it does not know throws, so a test can never pass because a rule was ignored.
 */
export function evaluateRule(rule: AslObject | AslValue, document: unknown): boolean {
  const r = rule as Record<string, AslValue>;
  if (Array.isArray(r.And)) return r.And.every((part) => evaluateRule(part, document));
  if (Array.isArray(r.Or)) return r.Or.some((part) => evaluateRule(part, document));
  if (r.Not !== undefined) return !evaluateRule(r.Not, document);
  const variable = r.Variable;
  if (typeof variable !== "string") throw new Error(`rule without Variable: ${JSON.stringify(rule)}`);
  const present = valueAt(document, variable) !== undefined;
  const value = valueAt(document, variable);
  const operators = Object.keys(r).filter((key) => key !== "Variable" && key !== "Next");
  if (operators.length !== 1) throw new Error(`expected one operator in ${JSON.stringify(rule)}`);
  const op = operators[0]!;
  const operand = r[op];
  // Step Functions fails the state (States.Runtime) when a comparison reads a missing field.
  const need = (): void => {
    if (!present) throw new Error(`States.Runtime: ${variable} is missing for ${op}`);
  };
  switch (op) {
    case "IsPresent":
      return present === operand;
    case "IsNull":
      need();
      return (value === null) === operand;
    case "BooleanEquals":
      need();
      return value === operand;
    case "StringEquals":
      need();
      return value === operand;
    case "NumericEquals":
      need();
      return value === operand;
    case "NumericGreaterThan":
      need();
      return typeof value === "number" && value > (operand as number);
    case "NumericGreaterThanEquals":
      need();
      return typeof value === "number" && value >= (operand as number);
    default:
      throw new Error(`evaluateRule does not know ${op}`);
  }
}

/** The Next of the first Choice rule that holds, or the Default. */
export function choose(choice: ChoiceState, document: unknown): string {
  return choice.Choices.find((rule) => evaluateRule(rule, document))?.Next ?? choice.Default;
}

/**
 * A runbook in the style of the key-rotation one: a read step saves a list, and a reversible
 * step runs once per item with `foreach`, reading the item through `$.item`.
 */
export const STALE_KEYS_RUNBOOK = `---
id: stale-access-keys
title: Stale access keys
severity: medium
triggers:
  - schedule: rate(1 day)
approvers:
  default: ["arn:aws:iam::*:role/IncidentResponder"]
---
# Stale access keys

## Detect

### Find stale keys
\`\`\`step
task: iam.find-stale-access-keys
with:
  warnAfterDays: 80
  deactivateAfterDays: 90
save: $.stale
\`\`\`

## Contain

### Deactivate stale keys
\`\`\`step
task: iam.deactivate-access-key
foreach: $.stale.deactivate
max-concurrency: 3
with:
  accessKeyId: $.item.accessKeyId
  userName: $.item.userName
save: $.deactivated
\`\`\`

### Warn the owners
\`\`\`step
task: sns.notify
foreach: $.stale.warn
with:
  subject: "Key {$.item.accessKeyId} is getting old"
  message: "Rotate it before it is deactivated."
  audience: owner
\`\`\`
`;
