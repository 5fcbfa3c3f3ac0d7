import { randomUUID } from "node:crypto";
import type { Clock } from "../../functions/contract/task.js";
import { AttemptBarrier } from "./attempt-barrier.js";
import type { CallbackTokens } from "./callback-tokens.js";
import { stateError } from "./errors.js";
import { ExecutionStop } from "./execution-stop.js";
import type { HistorySink } from "./history.js";
import { HistoryRecorder } from "./history-recorder.js";
import type { JsonValue } from "./json.js";
import { failureOutcome, type Outcome } from "./outcome.js";
import type { LibraryStateMachine, LibraryTaskHandler } from "./step-functions-library.js";
import { TaskAttempt } from "./task-attempt.js";
import type { TaskBinding } from "./task-bindings.js";
import { callbackTask, invokeTask, startExecutionSync, type ChildExecutions, type LocalTask } from "./task-handlers.js";
import { EventTranslator } from "./translate-event.js";

/** A machine ready to run: built once, with its Task states bound to local handlers. */
export interface PreparedMachine {
  readonly key: string;
  readonly name: string;
  readonly arn: string;
  readonly library: LibraryStateMachine;
  readonly bindings: ReadonlyMap<string, TaskBinding>;
  /** The machine's TimeoutSeconds as the library applies it (within Node's timer range). */
  readonly timeoutSeconds: number | undefined;
  readonly itemsPaths: ReadonlyMap<string, string>;
  /** Has Map or Parallel states (nested executions whose events the library forwards asynchronously). */
  readonly nested: boolean;
}

export interface ExecutionEnvironment {
  readonly clock: Clock;
  readonly history: HistorySink;
  readonly tokens: CallbackTokens;
  readonly children: ChildExecutions;
  task(taskName: string): LocalTask;
}

export interface ExecutionRequest {
  readonly machine: PreparedMachine;
  readonly executionArn: string;
  readonly name: string;
  readonly input: JsonValue;
  readonly startDate: Date;
  readonly parentExecutionId?: string;
}

export interface RunningExecution {
  readonly result: Promise<Outcome>;
  abort(reason?: string): void;
}

/**
 * Runs one execution on the library and owns what the library does not: the context object
 * (execution id and name, state machine, task-token placeholder), local handlers for every Task,
 * an AbortSignal that reaches running handlers, and the AWS-style history in true order.
 */
export function runExecution(request: ExecutionRequest, environment: ExecutionEnvironment, settled: (outcome: Outcome) => void): RunningExecution {
  const { machine, executionArn } = request;
  const recorder = new HistoryRecorder(executionArn, environment.history, environment.clock);
  const barrier = new AttemptBarrier(machine.nested);
  const execution = new ExecutionStop();
  const placeholder = `irflow-local-task-token-placeholder-${randomUUID()}`;
  let abortCause: string | undefined;
  let finished = false;

  const translator = new EventTranslator({
    stateMachineArn: machine.arn,
    ...(request.parentExecutionId !== undefined ? { parentExecutionArn: request.parentExecutionId } : {}),
    itemsPath: (state) => machine.itemsPaths.get(state),
    abortCause: () => abortCause,
  });

  const handle = async (binding: TaskBinding, input: JsonValue): Promise<JsonValue> => {
    // Synchronous up to the first await: the attempt's timeout timer starts before the library's.
    const attempt = new TaskAttempt(binding, executionArn, execution, recorder);
    try {
      await barrier.invocation(binding.state);
      if (attempt.signal.aborted) throw stateError("ExecutionAborted", "the execution has stopped");
      switch (binding.kind) {
        case "invoke":
          return await invokeTask(binding, input, attempt, environment.task(binding.taskName));
        case "callback":
          return await callbackTask(binding, input, attempt, environment.task(binding.taskName), environment.tokens, placeholder);
        case "startSync":
          return await startExecutionSync(binding, input, attempt, environment.children);
      }
    } catch (error) {
      // A stopped attempt (missed heartbeat, timeout, execution stopped) fails with why it stopped,
      // not with whatever the aborted task threw on its way out.
      throw attempt.signal.aborted && attempt.signal.reason instanceof Error ? attempt.signal.reason : error;
    } finally {
      attempt.dispose();
      await attempt.settleAfterTimeout();
    }
  };
  const handlers: Record<string, LibraryTaskHandler> = Object.fromEntries([...machine.bindings].map(([state, binding]) => [state, (input: JsonValue) => handle(binding, input)]));

  // Same length as the library's execution timer and set just before it, so it fires first:
  // from then on the tasks' events are dropped, and the library's ExecutionTimeout is the last event.
  const timeout = machine.timeoutSeconds !== undefined ? setTimeout(() => recorder.stop(), machine.timeoutSeconds * 1000) : undefined;
  const run = machine.library.run(request.input, {
    overrides: { taskResourceLocalHandlers: handlers },
    context: {
      Execution: { Id: executionArn, Name: request.name, StartTime: request.startDate.toISOString() },
      StateMachine: { Id: machine.arn, Name: machine.name },
      Task: { Token: placeholder },
    },
  });

  const consumed = (async () => {
    for await (const event of run.eventLogs) {
      for (const draft of translator.translate(event)) recorder.record(draft);
      if ((event.type === "StateEntered" || event.type === "StateRetried") && event.state.type === "Task") barrier.attemptRecorded(event.state.name);
      if (event.type === "StateEntered" && (event.state.type === "Map" || event.state.type === "Parallel")) barrier.nestedStateEntered();
    }
  })();
  // Awaited once the execution settles; until then a failure must not count as unhandled.
  consumed.catch(() => undefined);

  const stop = (reason: Error) => {
    recorder.stop();
    execution.stop(reason);
  };

  const result = run.result
    .then((output): Outcome => ({ status: "SUCCEEDED", output }), failureOutcome)
    .then(async (outcome) => {
      finished = true;
      clearTimeout(timeout);
      if (outcome.status !== "SUCCEEDED") stop(stateError("ExecutionStopped", `the execution ended ${outcome.status}`));
      barrier.release();
      settled(outcome);
      await consumed;
      await recorder.flushed();
      return outcome;
    });

  return {
    result,
    abort(reason?: string) {
      if (finished || execution.reason !== undefined) return;
      abortCause = reason;
      recorder.stop();
      run.abort();
      stop(stateError("ExecutionAborted", reason ?? "the execution was aborted"));
    },
  };
}
