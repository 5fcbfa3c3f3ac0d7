import type { IncidentProgress } from "../../workflows/local/incident/local-incident-runner.js";
import { stateNames } from "../../workflows/compiler/state-names.js";
import { explainCause } from "../../functions/audit/report/explain-cause.js";
import type { StateMachine } from "../../workflows/compiler/asl.js";
import type { JsonValue } from "../../workflows/local/json.js";
import { cut } from "./run-ending.js";
import { skipReason } from "./skip-reason.js";
import { paint } from "../output.js";
import { terminalField } from "../terminal-text.js";

const CHECK = stateNames("").check;

/** What the engine runs on each execution, to tell a line's state and whether a guarded step ran. */
interface ExecutionView {
  /** A `Check: <step>` entered (and the input it judged) whose next state is not known yet: printed once it is. */
  pendingCheck?: { readonly name: string; readonly input: JsonValue };
  /** Task states entered and not yet exited, by name (Map iterations run the same state at once). */
  readonly openTasks: Map<string, number>;
  /** Map states entered and not yet exited, innermost last. */
  readonly openMaps: string[];
  /** Task states entered whose first TaskScheduled has not come yet: a TaskScheduled beyond them is a retry. */
  firstAttemptsDue: number;
  /** The state of the last failure, until a retry or the next state settles it. */
  failed?: string | undefined;
}

/**
 * The live lines of `irflow run` / `irflow demo`: one per state a phase enters, so a responder
 * sees the incident move, plus why a task failed and which guarded steps were skipped. Stateful
 * per execution because the history says neither directly: a task's failure does not name its
 * state, and a Choice's exit does not name where it went (the next state entered does).
 */
export class ProgressLines {
  private readonly executions = new Map<string, ExecutionView>();

  /** `guardRule` finds a guard's condition (to say why its step was skipped); without it the line says only that it was. */
  constructor(private readonly guardRule: GuardRule = () => undefined) {}

  /** The lines one event adds (often none). */
  linesFor({ executionArn, machineKey, event }: IncidentProgress): string[] {
    const phase = machineKey.slice(machineKey.indexOf("/") + 1);
    if (phase === "incident") return [];
    const view = this.viewOf(executionArn);
    const prefix = `  ${paint.dim(phase.padEnd(13))} `;
    const lines: string[] = [];
    if (event.type.endsWith("StateEntered")) {
      const { name } = event.details as { name: string };
      lines.push(...this.settleCheck(machineKey, view, name).map((line) => prefix + line));
      if (event.type === "TaskStateEntered") {
        view.openTasks.set(name, (view.openTasks.get(name) ?? 0) + 1);
        view.firstAttemptsDue += 1;
      }
      if (event.type === "MapStateEntered") view.openMaps.push(name);
      // A guard's line waits for the state after it: "Check: X" when X runs, "X: skipped" when not.
      if (event.type === "ChoiceStateEntered" && name.startsWith(CHECK)) view.pendingCheck = { name, input: event.details.input };
      else lines.push(prefix + terminalField(name));
    } else if (event.type === "TaskScheduled") {
      // A failure prints at once; should the state's Retry try again, the next line says so.
      if (view.firstAttemptsDue > 0) view.firstAttemptsDue -= 1;
      else if (view.failed !== undefined) lines.push(prefix + paint.dim(terminalField(`${view.failed}: retrying`)));
      view.failed = undefined;
    } else if (event.type === "TaskStateExited") {
      const { name } = event.details;
      view.failed = undefined;
      const open = (view.openTasks.get(name) ?? 0) - 1;
      if (open > 0) view.openTasks.set(name, open);
      else view.openTasks.delete(name);
    } else if (event.type === "MapStateExited") {
      const at = view.openMaps.lastIndexOf(event.details.name);
      if (at >= 0) view.openMaps.splice(at, 1);
    } else if (event.type === "TaskFailed" || event.type === "TaskTimedOut") {
      const state = failedState(view);
      view.failed = state ?? "the task";
      lines.push(prefix + paint.red(failureText(state, event.details.error, event.details.cause)));
    } else if (event.type === "ExecutionAborted") {
      const { cause } = event.details;
      lines.push(...this.end(executionArn, prefix));
      lines.push(prefix + paint.red(terminalField(cause?.startsWith("aborted ") ? `phase ${cause}` : `phase aborted${cause ? `: ${cause}` : ""}`)));
    } else if (event.type === "ExecutionTimedOut") {
      lines.push(...this.end(executionArn, prefix));
      lines.push(prefix + paint.red("phase timed out"));
    } else if (event.type === "ExecutionSucceeded" || event.type === "ExecutionFailed") {
      lines.push(...this.end(executionArn, prefix));
    }
    return lines;
  }

  private viewOf(executionArn: string): ExecutionView {
    let view = this.executions.get(executionArn);
    if (!view) {
      view = { openTasks: new Map(), openMaps: [], firstAttemptsDue: 0 };
      this.executions.set(executionArn, view);
    }
    return view;
  }

  /** The held guard's line, now that `next` is the state it chose. */
  private settleCheck(machineKey: string, view: ExecutionView, next: string): string[] {
    const check = view.pendingCheck;
    if (check === undefined) return [];
    view.pendingCheck = undefined;
    const title = check.name.slice(CHECK.length);
    // Every state the compiler derives from a step carries its title; the guard's Default is the next step or the phase's end.
    const runs = Object.values(stateNames(title)).includes(next) && next !== check.name;
    if (runs) return [terminalField(check.name)];
    const rule = this.guardRule(machineKey, check.name);
    const why = rule === undefined ? undefined : skipReason(rule, check.input);
    return [`${terminalField(title)}: ${paint.yellow("skipped")} ${paint.dim(terminalField(`(its when: condition does not hold${why ? `: ${why}` : ""})`))}`];
  }

  /** An execution that ended: a guard still held (stopped before its next state) is shown as entered. */
  private end(executionArn: string, prefix: string): string[] {
    const check = this.executions.get(executionArn)?.pendingCheck;
    this.executions.delete(executionArn);
    return check === undefined ? [] : [prefix + terminalField(check.name)];
  }
}

/** The condition of a guard (`Check: <step>`) in a machine (`<runbook>/<phase>`), as the compiler wrote it. */
export type GuardRule = (machineKey: string, stateName: string) => unknown;

/** Guards' conditions from the generated machines: the one Choice rule of each `Check:` state. */
export function guardRules(machines: ReadonlyMap<string, StateMachine>): GuardRule {
  return (machineKey, stateName) => {
    const state = machines.get(machineKey)?.States[stateName];
    return state?.Type === "Choice" && state.Choices.length === 1 ? state.Choices[0] : undefined;
  };
}

/**
 * The state a task failure belongs to. The event does not say; the task states open in this
 * execution do when they are one state (a Map's iterations at the same step). Otherwise the
 * innermost open Map, the step they all belong to.
 */
function failedState(view: ExecutionView): string | undefined {
  if (view.openTasks.size === 1) return [...view.openTasks.keys()][0];
  return view.openMaps.at(-1);
}

/** "Each: Deactivate keys failed: PreconditionFailed: user break-glass is tagged irflow:exempt; …" */
export function failureText(state: string | undefined, error: string | undefined, cause: string | undefined): string {
  const reason = explainCause(cause).trim();
  const what = `${error || "error"}${reason && reason !== error ? `: ${cut(reason)}` : ""}`;
  return terminalField(`${state ? `${state} ` : ""}failed: ${what}`);
}
