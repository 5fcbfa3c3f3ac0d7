import { tokenDigest, mintToken, type CallbackTokens, type Settlement } from "./callback-tokens.js";
import { checkDataLimit, lambdaError, LocalEngineError, stateError } from "./errors.js";
import { isJsonObject, jsonCopy, replaceInStrings, type JsonObject, type JsonValue } from "./json.js";
import { resourceOf, type TaskAttempt } from "./task-attempt.js";
import type { TaskBinding } from "./task-bindings.js";

/** A task's local implementation: called with the Lambda payload, as its Lambda entry point would be. */
export type LocalTask = (payload: unknown, signal: AbortSignal) => Promise<unknown>;

/** What `startExecution.sync:2` needs from the engine. */
export interface ChildExecutions {
  start(machineKey: string, input: JsonValue, options: { name?: string; parentExecutionId: string }): { executionArn: string; result: Promise<unknown>; abort(reason: string): void };
  /** The child as `DescribeExecution` reports it once it has stopped, in `.sync:2` shape (PascalCase, parsed JSON). */
  describe(executionArn: string): JsonObject;
}

type Binding<K extends TaskBinding["kind"]> = Extract<TaskBinding, { kind: K }>;

/** The Lambda Invoke API's answer, which the generated ResultSelectors read `$.Payload` from. */
function invokeResponse(payload: JsonValue): JsonObject {
  return { Payload: payload, StatusCode: 200, ExecutedVersion: "$LATEST" };
}

/**
 * Runs the task function as Lambda would: on a JSON copy of the payload, its result as JSON (the
 * copies are walks, which make what a JSON round trip makes at a fraction of its cost).
 */
async function invokeFunction(task: LocalTask, payload: JsonValue, attempt: TaskAttempt): Promise<JsonValue> {
  try {
    return jsonCopy(await task(jsonCopy(payload), attempt.signal));
  } catch (thrown) {
    const error = lambdaError(thrown);
    attempt.end({ type: "TaskFailed", details: { ...resourceOf(attempt.binding), error: error.name, cause: error.message } });
    throw error;
  }
}

/** Fails the attempt with States.DataLimitExceeded when `value` is over Step Functions' cap (it is serialised to be measured). */
function limited(value: JsonValue, what: string, attempt: TaskAttempt): void {
  try {
    checkDataLimit(value, what);
  } catch (error) {
    if (error instanceof Error) attempt.end({ type: "TaskFailed", details: { ...resourceOf(attempt.binding), error: error.name, cause: error.message } });
    throw error;
  }
}

const payloadOf = (input: JsonValue): JsonValue => (isJsonObject(input) && input.Payload !== undefined ? input.Payload : {});

/** `arn:aws:states:::lambda:invoke`: the task's result comes back as `{ Payload, StatusCode, ExecutedVersion }`. */
export async function invokeTask(binding: Binding<"invoke">, input: JsonValue, attempt: TaskAttempt, task: LocalTask): Promise<JsonValue> {
  const resource = resourceOf(binding);
  attempt.record({ type: "TaskScheduled", details: { ...resource, parameters: input, timeoutInSeconds: binding.timeoutSeconds } });
  attempt.record({ type: "TaskStarted", details: resource });
  const output = invokeResponse(await invokeFunction(task, payloadOf(input), attempt));
  // The state's output is what AWS caps (a callback task's is what SendTaskSuccess brings, checked there).
  limited(output, `the result of ${binding.taskName}`, attempt);
  attempt.end({ type: "TaskSucceeded", details: { ...resource, output } });
  return output;
}

/**
 * `arn:aws:states:::lambda:invoke.waitForTaskToken`: a fresh token replaces the context's token
 * placeholder everywhere in the parameters, the task is invoked with it, and the state then waits
 * for SendTaskSuccess / SendTaskFailure, a missed heartbeat, its timeout or the execution's end.
 */
export async function callbackTask(binding: Binding<"callback">, input: JsonValue, attempt: TaskAttempt, task: LocalTask, tokens: CallbackTokens, placeholder: string): Promise<JsonValue> {
  const resource = resourceOf(binding);
  const token = mintToken();
  attempt.redact(token);
  const parameters = replaceInStrings(input, placeholder, token);
  const payload = payloadOf(parameters);

  let settle!: (settlement: Settlement) => void;
  let reject!: (reason: unknown) => void;
  const answer = new Promise<Settlement>((resolve, fail) => {
    settle = resolve;
    reject = fail;
  });
  // Rejected when the execution stops, perhaps while the task is still being invoked: never unhandled.
  answer.catch(() => undefined);
  const stop = () => reject(attempt.signal.reason instanceof Error ? attempt.signal.reason : stateError("ExecutionAborted", "the execution stopped"));
  let heartbeat: NodeJS.Timeout | undefined;
  const beat = () => {
    if (binding.heartbeatSeconds === undefined) return;
    clearTimeout(heartbeat);
    heartbeat = setTimeout(() => {
      const cause = `no heartbeat within ${binding.heartbeatSeconds} seconds`;
      attempt.end({ type: "TaskTimedOut", details: { ...resource, error: "States.Timeout", cause } });
      attempt.abortWith(stateError("States.Timeout", cause));
    }, binding.heartbeatSeconds * 1000);
  };

  tokens.open({ token, executionArn: attempt.executionArn, stateName: binding.state, taskName: binding.taskName, payload }, settle, beat);
  attempt.onEnd(() => {
    tokens.close(token);
    clearTimeout(heartbeat);
  });
  attempt.signal.addEventListener("abort", stop, { once: true });
  try {
    attempt.record({
      type: "TaskScheduled",
      details: { ...resource, parameters, timeoutInSeconds: binding.timeoutSeconds, ...(binding.heartbeatSeconds !== undefined ? { heartbeatInSeconds: binding.heartbeatSeconds } : {}) },
    });
    attempt.record({ type: "TaskStarted", details: resource });
    beat();
    const response = invokeResponse(await invokeFunction(task, payload, attempt));
    attempt.record({ type: "TaskSubmitted", details: { ...resource, output: response, taskToken: tokenDigest(token) } });
    const settlement = await answer;
    if (settlement.ok) {
      attempt.end({ type: "TaskSucceeded", details: { ...resource, output: settlement.output } });
      return settlement.output;
    }
    attempt.end({ type: "TaskFailed", details: { ...resource, error: settlement.error, cause: settlement.cause } });
    throw stateError(settlement.error, settlement.cause);
  } finally {
    clearTimeout(heartbeat);
    tokens.close(token);
    attempt.signal.removeEventListener("abort", stop);
  }
}

/**
 * `arn:aws:states:::states:startExecution.sync:2`: starts the child machine, waits for it, and
 * returns its description with the output parsed; a child that did not succeed fails the state
 * with States.TaskFailed and the description (error and cause included) as the Cause, like AWS.
 */
export async function startExecutionSync(binding: Binding<"startSync">, input: JsonValue, attempt: TaskAttempt, children: ChildExecutions): Promise<JsonValue> {
  const resource = resourceOf(binding);
  attempt.record({ type: "TaskScheduled", details: { ...resource, parameters: input, timeoutInSeconds: binding.timeoutSeconds } });
  attempt.record({ type: "TaskStarted", details: resource });
  const parameters = isJsonObject(input) ? input : {};
  let child: ReturnType<ChildExecutions["start"]>;
  try {
    const childInput = typeof parameters.Input === "string" ? (JSON.parse(parameters.Input) as JsonValue) : (parameters.Input ?? {});
    const name = typeof parameters.Name === "string" ? parameters.Name : undefined;
    child = children.start(binding.machineKey, childInput, { ...(name !== undefined ? { name } : {}), parentExecutionId: attempt.executionArn });
  } catch (thrown) {
    const error = thrown instanceof LocalEngineError ? stateError(`StepFunctions.${thrown.name}Exception`, thrown.message) : stateError("States.Runtime", String(thrown));
    attempt.end({ type: "TaskFailed", details: { ...resource, error: error.name, cause: error.message } });
    throw error;
  }
  const stopChild = () => child.abort("the parent execution's task stopped");
  attempt.signal.addEventListener("abort", stopChild, { once: true });
  try {
    const started = children.describe(child.executionArn);
    attempt.record({ type: "TaskSubmitted", details: { ...resource, output: { ExecutionArn: child.executionArn, StartDate: started.StartDate ?? null } } });
    await child.result;
    const description = children.describe(child.executionArn);
    if (description.Status === "SUCCEEDED") {
      limited(description, `the result of ${child.executionArn}`, attempt);
      attempt.end({ type: "TaskSucceeded", details: { ...resource, output: description } });
      return description;
    }
    const error = stateError("States.TaskFailed", JSON.stringify(description));
    attempt.end({ type: "TaskFailed", details: { ...resource, error: error.name, cause: error.message } });
    throw error;
  } finally {
    attempt.signal.removeEventListener("abort", stopChild);
  }
}
