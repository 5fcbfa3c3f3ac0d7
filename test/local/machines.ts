import type { StateMachine } from "../../workflows/compiler/asl.js";
import { InMemoryHistory } from "../../workflows/local/history.js";
import { LocalEngine, type LocalTask } from "../../workflows/local/local-engine.js";

/** Hand-written machines for the engine's tests: plain ASL objects, typed loosely on purpose (HeartbeatSeconds, Pass Parameters, …). */
export function machine(states: Record<string, object>, extra: Record<string, unknown> = {}): StateMachine {
  const first = Object.keys(states)[0]!;
  const withComments = Object.fromEntries(Object.entries(states).map(([name, state]) => [name, { Comment: name, ...state }]));
  return { Comment: "test machine", QueryLanguage: "JSONPath", StartAt: first, States: withComments, ...extra } as unknown as StateMachine;
}

export const invoke = (task: string, extra: Record<string, unknown> = {}) => ({
  Type: "Task",
  Resource: "arn:aws:states:::lambda:invoke",
  Parameters: { FunctionName: `\${Task:${task}}`, "Payload.$": "$" },
  TimeoutSeconds: 5,
  ...extra,
});

export const approval = (extra: Record<string, unknown> = {}) => ({
  Type: "Task",
  Resource: "arn:aws:states:::lambda:invoke.waitForTaskToken",
  Parameters: {
    FunctionName: "${Task:approval.request}",
    Payload: { "taskToken.$": "$$.Task.Token", "executionId.$": "$$.Execution.Id", "note.$": "States.Format('answer with {}', $$.Task.Token)" },
  },
  ResultPath: "$.approval",
  TimeoutSeconds: 5,
  ...extra,
});

export function engineFor(definitions: Record<string, StateMachine>, tasks: Record<string, LocalTask>, history = new InMemoryHistory()) {
  const engine = new LocalEngine({ definitions: new Map(Object.entries(definitions)), tasks: (name) => tasks[name], history, retryDelayScale: 0 });
  return { engine, history };
}

/** Resolves once `check` holds, polling every few milliseconds (for callback tokens to appear). */
export async function eventually<T>(check: () => T | undefined, timeoutMs = 2000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
