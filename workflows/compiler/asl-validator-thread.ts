import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from "node:worker_threads";
import { SCHEMA_REUSE_SOURCE } from "./compiled-schema-reuse.js";
import { JSON_PATH_SHORTCUT_SOURCE } from "../json-path-shortcut.js";
import { ASL_VALIDATOR_OPTIONS, type AslValidatorError } from "./validate-asl.js";

/**
 * What a validator thread answers to a list of definitions: asl-validator's errors about each
 * (none for a valid one), in the order sent, or why it could not validate them.
 */
export type ThreadAnswer = { readonly verdicts: readonly (readonly AslValidatorError[])[] } | { readonly failure: string };

/**
 * The thread's whole program, as source: it needs nothing but asl-validator, so it runs without
 * a TypeScript loader (under tsx, vitest or a bundle alike). It loads the validator and checks a
 * small machine while the main thread is still parsing runbooks, so real work meets a warmer
 * JIT; then it validates each list of definitions it is sent (JSON text, parsed here, off the
 * main thread), each definition on its own as a whole state machine, and answers the list,
 * counting answers in shared memory so a blocked main thread wakes up. Anything that stops it
 * answers the pending request as a failure rather than leaving it unanswered.
 */
const THREAD_SOURCE = `
"use strict";
const { workerData } = require("node:worker_threads");
const { port, signal, validatorModule, options, warmUp } = workerData;
let pending = 0;
function answer(message) {
  pending--;
  port.postMessage(message);
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
}
function describe(error) {
  return error instanceof Error ? error.message : String(error);
}
process.on("exit", (code) => {
  while (pending > 0) answer({ failure: "the validator thread exited (code " + code + ") before answering" });
});
// asl-validator's own dependencies, as it resolves them.
function dependency(name) {
  return require(require.resolve(name, { paths: [require("node:path").dirname(validatorModule)] }));
}
// asl-validator parses every path with a PEG parser, and the same few hundred paths recur in
// every machine: remembering the verdict per (path, kind) saves a third of its time. The verdict
// is a pure function of those two, so nothing is checked less.
function rememberPathVerdicts() {
  const paths = dependency("asl-path-validator");
  const check = paths.validatePath;
  if (typeof check !== "function") return;
  const verdicts = new Map();
  paths.validatePath = (path, kind) => {
    const key = kind + "\u0000" + path;
    let verdict = verdicts.get(key);
    if (verdict === undefined) {
      if (verdicts.size > 100000) verdicts.clear();
      verdict = check(path, kind);
      verdicts.set(key, verdict);
    }
    return verdict;
  };
}
// Its recursive-descent queries answered by a direct walk (same values, same order).
function shortcutJsonPath() {
  const jsonPath = dependency("jsonpath-plus");
  if (typeof jsonPath.JSONPath === "function") jsonPath.JSONPath = (${JSON_PATH_SHORTCUT_SOURCE})(jsonPath.JSONPath);
}
// Its schemas compiled once per thread rather than once per call.
function reuseSchemas() {
  const ajv = dependency("ajv");
  if (typeof ajv.default === "function") ajv.default = (${SCHEMA_REUSE_SOURCE})(ajv.default);
}
let validate;
let broken;
try {
  for (const shortcut of [rememberPathVerdicts, shortcutJsonPath, reuseSchemas]) {
    try {
      shortcut();
    } catch {
      // Another asl-validator layout (or a stand-in): validate without this shortcut.
    }
  }
  validate = require(validatorModule);
  if (typeof validate !== "function") throw new TypeError(validatorModule + " does not export a function");
  validate(JSON.parse(warmUp), options);
} catch (error) {
  broken = "could not load asl-validator: " + describe(error);
}
port.on("message", (json) => {
  pending++;
  if (broken) return answer({ failure: broken });
  try {
    const verdicts = JSON.parse(json).map((definition) => {
      const result = validate(definition, options);
      return result.isValid ? [] : result.errors.map((e) => ({ "Error code": String(e["Error code"]), Message: String(e.Message) }));
    });
    answer({ verdicts });
  } catch (error) {
    answer({ failure: "asl-validator threw: " + describe(error) });
  }
});
`;

/** Small but touches what the compiler emits: tasks with paths, retries and catches, a choice, a map. */
const WARM_UP_MACHINE = JSON.stringify({
  StartAt: "Act",
  States: {
    Act: {
      Type: "Task",
      Resource: "arn:aws:states:::lambda:invoke",
      Parameters: { FunctionName: "warm-up", Payload: { "id.$": "$.id", "at.$": "$$.Execution.StartTime", "n.$": "States.ArrayLength($.items)" } },
      ResultSelector: { "items.$": "$.Payload.items" },
      ResultPath: "$.result",
      TimeoutSeconds: 60,
      Retry: [{ ErrorEquals: ["States.Timeout"], IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 2 }],
      Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: "Failed" }],
      Next: "Which?",
    },
    "Which?": { Type: "Choice", Choices: [{ Variable: "$.result.items[0]", IsPresent: true, Next: "Each" }], Default: "Done" },
    Each: {
      Type: "Map",
      ItemsPath: "$.result.items",
      ItemSelector: { "item.$": "$$.Map.Item.Value" },
      ItemProcessor: { ProcessorConfig: { Mode: "INLINE" }, StartAt: "One", States: { One: { Type: "Pass", End: true } } },
      MaxConcurrency: 2,
      ResultPath: null,
      Next: "Done",
    },
    Done: { Type: "Succeed" },
    Failed: { Type: "Fail", Error: "WarmUp", Cause: "warm-up" },
  },
});

/**
 * A validator thread the main thread can wait for without an event loop (compiles are
 * synchronous). One request at a time: send, then poll or wait for its answer.
 */
export class AslValidatorThread {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  private answered = 0;
  private waiting = false;
  /** False once it failed, timed out or was closed: such a thread is never reused. */
  healthy = true;

  constructor(readonly validatorModule: string) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(THREAD_SOURCE, {
      eval: true,
      workerData: { port: port2, signal: this.signal, validatorModule, options: ASL_VALIDATOR_OPTIONS, warmUp: WARM_UP_MACHINE },
      transferList: [port2],
      // Its output would interleave with the compiler's; failures come back as answers instead.
      stdout: true,
      stderr: true,
    });
    // Never keep a finished compile's process alive, and never let its errors escape unhandled:
    // they are answered (or timed out) through the port.
    this.worker.unref();
    this.worker.on("error", () => undefined);
  }

  /** Sends a list of definitions, as one JSON array's text, to be validated. */
  send(definitionsJson: string): void {
    if (this.waiting) throw new Error("the validator thread has not answered its last definition yet");
    this.waiting = true;
    this.port.postMessage(definitionsJson);
  }

  /** Blocks until the thread answers, or reports a failure when it has not within `timeoutMs`. */
  wait(timeoutMs: number): ThreadAnswer {
    const answer = this.waitAtMost(timeoutMs);
    if (answer) return answer;
    this.healthy = false;
    return { failure: `the validator thread did not answer within ${timeoutMs} ms` };
  }

  /** The answer when it has come, without blocking. */
  poll(): ThreadAnswer | undefined {
    return this.waitAtMost(0);
  }

  /** Blocks for the answer at most `ms` milliseconds; nothing when it has not come by then. */
  waitAtMost(ms: number): ThreadAnswer | undefined {
    if (!this.waiting) throw new Error("nothing was sent to the validator thread");
    const deadline = Date.now() + ms;
    for (;;) {
      const count = Atomics.load(this.signal, 0);
      if (count > this.answered) {
        const received = receiveMessageOnPort(this.port);
        if (!received) continue; // counted but not yet visible on the port: look again
        this.answered++;
        this.waiting = false;
        const answer = received.message as ThreadAnswer;
        if ("failure" in answer) this.healthy = false;
        return answer;
      }
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      Atomics.wait(this.signal, 0, count, left);
    }
  }

  /** Whether a definition was sent and its answer not yet taken. */
  get busy(): boolean {
    return this.waiting;
  }

  close(): void {
    this.healthy = false;
    this.port.close();
    void this.worker.terminate();
  }
}

/**
 * Idle threads, kept for the next compile in the same process (a watch, a test run, a benchmark):
 * starting one and warming asl-validator's JIT costs more than a third of what it then saves.
 * They are unref'd, so they never keep a process alive.
 */
const idle: AslValidatorThread[] = [];

export function borrowThread(validatorModule: string): AslValidatorThread {
  const index = idle.findIndex((thread) => thread.validatorModule === validatorModule);
  return index === -1 ? new AslValidatorThread(validatorModule) : idle.splice(index, 1)[0]!;
}

/** Keeps a thread that answered for the next compile, up to `keep` of its kind; closes any other. */
export function returnThread(thread: AslValidatorThread, keep: number): void {
  const kept = idle.filter((other) => other.validatorModule === thread.validatorModule).length;
  if (thread.healthy && !thread.busy && kept < keep) idle.push(thread);
  else thread.close();
}

/** Stops the idle threads, so the next compile starts its own (a benchmark of a cold start). */
export function closeIdleThreads(): void {
  for (const thread of idle.splice(0)) thread.close();
}
