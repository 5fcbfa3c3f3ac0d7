import { PLACEHOLDER, RESOURCES, type Catcher, type State, type StateMachine, type TaskState } from "./asl.js";

export interface LintContext {
  readonly isTask: (name: string) => boolean;
  readonly isMachine: (name: string) => boolean;
}

const ALLOWED_RESOURCES = new Set<string>(Object.values(RESOURCES));
const MAX_STATE_NAME = 80;
const TRANSIENT_LAMBDA_ERRORS = ["Lambda.ServiceException", "Lambda.TooManyRequestsException"];

/**
 * irflow's own rules on top of asl-validator: the properties that keep a generated machine safe
 * to run unattended and honest to audit. Each problem names the state it is in.
 */
export function lintAsl(machine: StateMachine, context: LintContext): string[] {
  const problems: string[] = [];
  if (machine.QueryLanguage !== "JSONPath") problems.push("machine: QueryLanguage must be JSONPath (the local engine ignores JSONata)");
  if (!machine.TimeoutSeconds) problems.push("machine: TimeoutSeconds must be set so no incident waits forever");
  lintStates(machine.States, machine.StartAt, context, problems, "");
  return problems;
}

function lintStates(states: Record<string, State>, startAt: string, context: LintContext, problems: string[], prefix: string): void {
  const reachable = reachableStates(states, startAt);
  for (const [name, state] of Object.entries(states)) {
    const where = `${prefix}state "${name}"`;
    if (name.length > MAX_STATE_NAME) problems.push(`${where}: name longer than ${MAX_STATE_NAME} characters`);
    if (!reachable.has(name)) problems.push(`${where}: unreachable`);
    if (!state.Comment || !/:\d+ sha256:[0-9a-f]{12}$/.test(state.Comment)) problems.push(`${where}: Comment must carry provenance (file:line sha256:…)`);
    if ("QueryLanguage" in state) problems.push(`${where}: per-state QueryLanguage is not allowed`);
    const json = JSON.stringify(state);
    if (state.Type === "Choice" && !state.Default) problems.push(`${where}: a Choice needs a Default`);
    if (state.Type === "Task") lintTask(where, state, context, problems);
    else if (state.Type === "Map" ? JSON.stringify(state.ItemSelector).includes("$$.Task.Token") : json.includes("$$.Task.Token")) {
      problems.push(`${where}: $$.Task.Token outside a callback task`);
    }
    if (state.Type === "Map") {
      if (!state.MaxConcurrency) problems.push(`${where}: a Map needs MaxConcurrency (a bounded blast radius)`);
      lintStates(state.ItemProcessor.States, state.ItemProcessor.StartAt, context, problems, `${where} > `);
    }
    for (const match of json.matchAll(PLACEHOLDER)) {
      const [, kind, target] = match;
      if (kind === "Task" && !context.isTask(target!)) problems.push(`${where}: unknown task placeholder ${target}`);
      if (kind === "Machine" && !context.isMachine(target!)) problems.push(`${where}: unknown machine placeholder ${target}`);
    }
  }
}

function lintTask(where: string, state: TaskState, _context: LintContext, problems: string[]): void {
  if (!ALLOWED_RESOURCES.has(state.Resource)) problems.push(`${where}: resource ${state.Resource} is not one irflow generates`);
  if (!state.TimeoutSeconds) problems.push(`${where}: a Task needs TimeoutSeconds`);
  const json = JSON.stringify(state.Parameters);
  const callback = state.Resource === RESOURCES.lambdaInvokeCallback;
  if (callback) {
    if (!json.includes('"taskToken.$":"$$.Task.Token"')) problems.push(`${where}: a callback task must pass $$.Task.Token as taskToken`);
    const catches = (state.Catch ?? []).flatMap((c: Catcher) => c.ErrorEquals);
    for (const error of ["States.Timeout", "Rejected"]) if (!catches.includes(error)) problems.push(`${where}: a callback task must catch ${error} explicitly`);
  } else if (json.includes("$$.Task.Token")) {
    problems.push(`${where}: $$.Task.Token outside a callback task`);
  }
  if (state.Resource.startsWith("arn:aws:states:::lambda:")) {
    if (typeof state.Parameters.FunctionName !== "string") problems.push(`${where}: FunctionName must be a task placeholder`);
    const retried = (state.Retry ?? []).flatMap((r) => r.ErrorEquals);
    for (const error of TRANSIENT_LAMBDA_ERRORS) if (!retried.includes(error)) problems.push(`${where}: must retry ${error}`);
  }
}

function reachableStates(states: Record<string, State>, startAt: string): Set<string> {
  const seen = new Set<string>();
  const queue = [startAt];
  while (queue.length > 0) {
    const name = queue.pop()!;
    if (seen.has(name) || !states[name]) continue;
    seen.add(name);
    const state = states[name];
    if ("Next" in state && state.Next) queue.push(state.Next);
    if (state.Type === "Choice") queue.push(state.Default, ...state.Choices.map((c) => c.Next));
    if ("Catch" in state) queue.push(...(state.Catch ?? []).map((c) => c.Next));
  }
  return seen;
}
