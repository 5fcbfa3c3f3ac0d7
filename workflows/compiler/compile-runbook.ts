import type { Diagnostic } from "../diagnostics.js";
import { parseRunbook } from "../runbook/parse-runbook.js";
import type { Runbook } from "../runbook/runbook.js";
import { PHASES, type Phase } from "../runbook/schema.js";
import { analyseRunbook, type AnalysedRunbook, type TaskCatalogue } from "./analyse-runbook.js";
import type { State, StateMachine } from "./asl.js";
import { triggerRule, type TriggerRule } from "./event-patterns.js";
import { buildIncidentMachine } from "./incident-machine.js";
import { lintAsl } from "./lint-asl.js";
import { buildPhaseMachine, phaseTimeout } from "./phase-machine.js";
import { validateAsl, type NamedMachine } from "./validate-asl.js";

export type MachineName = Phase | "incident";
export const MACHINE_NAMES: readonly MachineName[] = [...PHASES, "incident"];

export interface CompiledMachine {
  readonly name: MachineName;
  readonly definition: StateMachine;
  /** Tasks the machine invokes, sorted: what its role may invoke and nothing more. */
  readonly tasks: readonly string[];
  /** Machines it starts (the incident machine starts its phases). */
  readonly starts: readonly string[];
}

export interface CompiledRunbook {
  readonly runbook: Runbook;
  readonly analysed: AnalysedRunbook;
  readonly machines: readonly CompiledMachine[];
  readonly triggers: readonly TriggerRule[];
}

export interface CompileOptions {
  readonly tasks: TaskCatalogue;
  /** Skip asl-validator, when the caller validates many runbooks' machines in one pass. */
  readonly skipAslValidator?: boolean;
}

/** Parses, checks and compiles one runbook file; never throws for a bad runbook. */
export function compileRunbookSource(file: string, text: string, options: CompileOptions): { compiled?: CompiledRunbook; diagnostics: Diagnostic[] } {
  const parsed = parseRunbook(file, text);
  if (!parsed.runbook) return { diagnostics: [...parsed.diagnostics] };
  const { analysed, diagnostics } = analyseRunbook(parsed.runbook, options.tasks);
  const all = [...parsed.diagnostics, ...diagnostics];
  // A runbook the parser found errors in is checked through, never compiled.
  if (!analysed || parsed.diagnostics.some((d) => d.severity === "error")) return { diagnostics: all };
  const compiled = buildMachines(analysed);
  const problems = compiled.machines.flatMap((machine) => lintMachine(machine, analysed.runbook, options));
  if (!options.skipAslValidator) problems.push(...validateAsl(namedMachines([compiled])).map((p) => `asl-validator: ${p}`));
  if (problems.length > 0) {
    // A machine that fails validation is a compiler defect, not an author's: say so plainly.
    return {
      diagnostics: [
        ...all,
        ...problems.map((message) => ({ file, line: 1, column: 1, severity: "error" as const, code: "generated-asl", message, hint: "this is a bug in irflow's compiler; please report it with the runbook" })),
      ],
    };
  }
  return { compiled, diagnostics: all };
}

function buildMachines(analysed: AnalysedRunbook): CompiledRunbook {
  const { runbook } = analysed;
  const timeouts = new Map<Phase, number>();
  const machines: CompiledMachine[] = PHASES.map((phase) => {
    const steps = analysed.phases.get(phase) ?? [];
    const definition = buildPhaseMachine(runbook, phase, steps);
    timeouts.set(phase, definition.TimeoutSeconds ?? phaseTimeout(steps));
    return describe(phase, definition);
  });
  machines.push(describe("incident", buildIncidentMachine(runbook, timeouts)));
  return { runbook, analysed, machines, triggers: runbook.triggers.map(triggerRule) };
}

function describe(name: MachineName, definition: StateMachine): CompiledMachine {
  const tasks = new Set<string>();
  const starts = new Set<string>();
  // Only the resource fields of Task states count: a placeholder-looking text in a runbook
  // literal must never widen what a machine's role may invoke.
  const visit = (states: Record<string, State>): void => {
    for (const state of Object.values(states)) {
      if (state.Type === "Map") visit(state.ItemProcessor.States);
      if (state.Type !== "Task") continue;
      for (const field of [state.Parameters.FunctionName, state.Parameters.StateMachineArn]) {
        const match = typeof field === "string" ? /^\$\{(Task|Machine):([^}]+)\}$/.exec(field) : null;
        if (match) (match[1] === "Task" ? tasks : starts).add(match[2]!);
      }
    }
  };
  visit(definition.States);
  return { name, definition, tasks: [...tasks].sort(), starts: [...starts].sort() };
}

function lintMachine(machine: CompiledMachine, runbook: Runbook, options: CompileOptions): string[] {
  const lint = lintAsl(machine.definition, {
    isTask: (name) => options.tasks.find(name) !== undefined,
    isMachine: (name) => name.startsWith(`${runbook.id}/`) && (PHASES as readonly string[]).includes(name.slice(runbook.id.length + 1)),
  });
  return lint.map((p) => `${runbook.id}/${machine.name}: lint: ${p}`);
}

/** Every machine of some compiled runbooks, named `<runbook>/<machine>` for messages. */
export function namedMachines(compiled: readonly CompiledRunbook[]): NamedMachine[] {
  return compiled.flatMap(({ runbook, machines }) => machines.map((m) => ({ name: `${runbook.id}/${m.name}`, definition: m.definition })));
}
