import { randomUUID } from "node:crypto";
import type { Clock } from "../../functions/contract/task.js";
import type { StateMachine } from "../compiler/asl.js";
import { validateAsl } from "../compiler/validate-asl.js";
import { EXECUTION_NAME, executionArn, isMachineKey, machineName, stateMachineArn } from "./arns.js";
import { CallbackTokens, type PendingTask } from "./callback-tokens.js";
import { allStates } from "./definition-walk.js";
import { DATA_LIMIT_BYTES, LocalEngineError } from "./errors.js";
import { runExecution, type PreparedMachine, type RunningExecution } from "./execution.js";
import type { HistorySink } from "./history.js";
import { canonicalJson, jsonCopy, type JsonObject, type JsonValue } from "./json.js";
import { libraryDefinition } from "./local-definition.js";
import type { ExecutionStatus, Outcome } from "./outcome.js";
import { LibraryStateMachine } from "./step-functions-library.js";
import { bindTasks, describeRefusals, type Refusal } from "./task-bindings.js";
import type { ChildExecutions, LocalTask } from "./task-handlers.js";

export type { Outcome, ExecutionStatus } from "./outcome.js";
export type { LocalTask } from "./task-handlers.js";
export type { PendingTask } from "./callback-tokens.js";

export interface LocalEngineOptions {
  /** Every machine the engine may run, keyed `<runbook>/<machine>` as in `${Machine:…}`. */
  readonly definitions: ReadonlyMap<string, StateMachine>;
  /** The local implementation of a task named in `${Task:<name>}`, or undefined when there is none. */
  readonly tasks: (taskName: string) => LocalTask | undefined;
  readonly history: HistorySink;
  readonly clock?: Clock;
  /** Scales every Retry wait (0 … 1; default 1). Tests use 0. */
  readonly retryDelayScale?: number;
}

export interface StartOptions {
  /** The execution name, unique per machine ([A-Za-z0-9-_]{1,80}); a random UUID by default. */
  readonly name?: string;
  readonly parentExecutionId?: string;
}

export interface ExecutionHandle {
  readonly executionArn: string;
  /** Settles when the execution has stopped and its history is stored; rejects only if the history sink fails. */
  readonly result: Promise<Outcome>;
  /** Stops the execution (AWS StopExecution); running handlers see their AbortSignal fire. */
  abort(reason?: string): void;
}

export interface ExecutionDescription {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly machineKey: string;
  readonly name: string;
  readonly status: ExecutionStatus;
  readonly input: JsonValue;
  readonly startDate: Date;
  readonly stopDate?: Date;
  readonly parentExecutionId?: string;
  readonly outcome?: Outcome;
}

interface ExecutionRecord {
  /**
   * Set as soon as the run is wired (the record is registered first, so the name is taken from the
   * start) and dropped once it stops: the handle reaches the whole run.
   */
  handle?: ExecutionHandle;
  description: ExecutionDescription;
}

const systemClock: Clock = { now: () => new Date() };
/** Definitions (as JSON text) already validated by asl-validator, which costs ~100 ms a call. */
const validated = new Set<string>();

/**
 * Runs the generated Step Functions machines in-process on aws-local-stepfunctions, and refuses
 * to run anything that could reach AWS: every Task must be one of the compiler's three
 * integrations with a local task or a local child machine behind it.
 */
export class LocalEngine {
  private readonly machines = new Map<string, PreparedMachine>();
  private readonly taskFunctions = new Map<string, LocalTask>();
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly tokens = new CallbackTokens();
  private readonly clock: Clock;
  private readonly history: HistorySink;

  constructor(options: LocalEngineOptions) {
    const scale = options.retryDelayScale ?? 1;
    if (!(scale >= 0 && scale <= 1)) throw new RangeError(`retryDelayScale must be between 0 and 1, not ${scale}`);
    this.clock = options.clock ?? systemClock;
    this.history = options.history;

    const refusals: Refusal[] = [];
    const bound = new Map<string, ReturnType<typeof bindTasks>["bindings"]>();
    const resolvable = {
      hasTask: (name: string) => {
        const task = this.taskFunctions.get(name) ?? options.tasks(name);
        if (task) this.taskFunctions.set(name, task);
        return task !== undefined;
      },
      hasMachine: (key: string) => options.definitions.has(key),
    };
    for (const [key, definition] of options.definitions) {
      if (!isMachineKey(key)) {
        refusals.push({ machine: key, problem: "is not a machine key <runbook>/<machine> (lower-case, deployed name at most 80 characters)" });
        continue;
      }
      const { bindings, refusals: found } = bindTasks(key, definition, resolvable);
      refusals.push(...found);
      bound.set(key, bindings);
    }
    if (refusals.length > 0) {
      throw new LocalEngineError("UnsupportedDefinition", `the local engine refuses to run these machines (nothing may reach AWS):\n${describeRefusals(refusals)}`);
    }

    const unvalidated = [...options.definitions].filter(([, definition]) => !validated.has(JSON.stringify(definition)));
    const problems = validateAsl(unvalidated.map(([name, definition]) => ({ name, definition })));
    if (problems.length > 0) throw new LocalEngineError("InvalidDefinition", `invalid state machine definitions:\n  ${problems.join("\n  ")}`);
    for (const [, definition] of unvalidated) validated.add(JSON.stringify(definition));

    for (const [key, definition] of options.definitions) {
      const prepared = libraryDefinition(definition, scale);
      const states = allStates(definition as unknown as JsonObject);
      this.machines.set(key, {
        key,
        name: machineName(key),
        arn: stateMachineArn(key),
        // Validated above; the library's own validation would repeat the slow part.
        library: new LibraryStateMachine(prepared, { validationOptions: { noValidate: true } }),
        bindings: bound.get(key) ?? new Map(),
        timeoutSeconds: prepared.TimeoutSeconds,
        itemsPaths: new Map(states.flatMap(({ name, state }) => (typeof state.ItemsPath === "string" ? [[name, state.ItemsPath] as const] : []))),
        nested: states.some(({ state }) => state.Type === "Map" || state.Type === "Parallel"),
      });
    }
  }

  /**
   * Starts an execution (AWS StartExecution). A name already used on the machine returns the
   * running execution when the input is the same (Step Functions' idempotency for standard
   * workflows) and throws ExecutionAlreadyExists otherwise, or once that execution has stopped.
   */
  start(machineKey: string, input: unknown, options: StartOptions = {}): ExecutionHandle {
    const machine = this.machines.get(machineKey);
    if (!machine) throw new LocalEngineError("StateMachineDoesNotExist", `no local definition for ${machineKey}`);
    const name = options.name ?? randomUUID();
    if (!EXECUTION_NAME.test(name)) throw new LocalEngineError("InvalidName", `execution name ${JSON.stringify(name)} must match ${EXECUTION_NAME.source}`);
    let document: JsonValue;
    try {
      document = jsonCopy(input);
    } catch (error) {
      throw new LocalEngineError("InvalidExecutionInput", `the input is not JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
    const arn = executionArn(machineKey, name);
    const existing = this.executions.get(arn);
    if (existing) {
      // Compared canonically only when a name is reused: most starts never need the key.
      if (existing.handle && existing.description.status === "RUNNING" && canonicalJson(existing.description.input) === canonicalJson(document)) return existing.handle;
      throw new LocalEngineError("ExecutionAlreadyExists", `execution ${arn} already exists ${existing.description.status === "RUNNING" ? "with a different input" : `and has stopped (${existing.description.status})`}`);
    }

    const startDate = this.clock.now();
    const record: ExecutionRecord = {
      description: { executionArn: arn, stateMachineArn: machine.arn, machineKey, name, status: "RUNNING", input: document, startDate, ...(options.parentExecutionId !== undefined ? { parentExecutionId: options.parentExecutionId } : {}) },
    };
    this.executions.set(arn, record);
    const running: RunningExecution = runExecution(
      { machine, executionArn: arn, name, input: document, startDate, ...(options.parentExecutionId !== undefined ? { parentExecutionId: options.parentExecutionId } : {}) },
      { clock: this.clock, history: this.history, tokens: this.tokens, children: this.children, task: (taskName) => this.taskFunctions.get(taskName)! },
      (outcome) => {
        record.description = { ...record.description, status: outcome.status, stopDate: this.clock.now(), outcome };
        // A stopped execution is only described: its handle held the whole run (library state,
        // timers, closures), ~100 KiB an incident that a long-lived engine kept for ever.
        delete record.handle;
      },
    );
    // The run stops on a later turn at the earliest, so this never revives a dropped handle.
    record.handle = { executionArn: arn, result: running.result, abort: (reason?: string) => running.abort(reason) };
    return record.handle;
  }

  /**
   * AWS SendTaskSuccess. Throws TaskDoesNotExist for a token never minted, TaskTimedOut for one
   * already answered or expired, InvalidOutput for output that is not JSON or over 256 KiB.
   */
  sendTaskSuccess(token: string, output: unknown): void {
    let document: JsonValue;
    try {
      document = jsonCopy(output);
    } catch (error) {
      throw new LocalEngineError("InvalidOutput", `the output is not JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
    const bytes = Buffer.byteLength(JSON.stringify(document), "utf8");
    if (bytes > DATA_LIMIT_BYTES) throw new LocalEngineError("InvalidOutput", `the output is ${bytes} bytes; SendTaskSuccess accepts ${DATA_LIMIT_BYTES}`);
    this.tokens.succeed(token, document);
  }

  /** AWS SendTaskFailure: the waiting state fails with `error` (e.g. "Rejected") and `cause`. */
  sendTaskFailure(token: string, error: string, cause = ""): void {
    this.tokens.fail(token, error, cause);
  }

  /** AWS SendTaskHeartbeat: restarts the HeartbeatSeconds clock of a waiting callback task. */
  sendTaskHeartbeat(token: string): void {
    this.tokens.heartbeat(token);
  }

  /** Callback tasks waiting for an answer, oldest first. */
  pendingTokens(): PendingTask[] {
    return this.tokens.pending();
  }

  /** The handle of an execution still running (kept while it runs, dropped once it stops). */
  running(executionArn: string): ExecutionHandle | undefined {
    return this.executions.get(executionArn)?.handle;
  }

  describeExecution(executionArn: string): ExecutionDescription | undefined {
    return this.executions.get(executionArn)?.description;
  }

  private readonly children: ChildExecutions = {
    start: (machineKey, input, options) => this.start(machineKey, input, options),
    describe: (arn) => {
      const description = this.describeExecution(arn);
      if (!description) throw new LocalEngineError("StateMachineDoesNotExist", `no execution ${arn}`);
      return syncDescription(description);
    },
  };
}

/** DescribeExecution as `startExecution.sync:2` returns it: PascalCase, dates in epoch milliseconds, JSON parsed. */
function syncDescription(description: ExecutionDescription): JsonObject {
  const { outcome } = description;
  return {
    ExecutionArn: description.executionArn,
    StateMachineArn: description.stateMachineArn,
    Name: description.name,
    Status: description.status,
    StartDate: description.startDate.getTime(),
    ...(description.stopDate ? { StopDate: description.stopDate.getTime() } : {}),
    Input: description.input,
    InputDetails: { Included: true },
    ...(outcome?.status === "SUCCEEDED" ? { Output: outcome.output, OutputDetails: { Included: true } } : {}),
    ...(outcome?.status === "FAILED" ? { Error: outcome.error, Cause: outcome.cause } : {}),
  };
}
