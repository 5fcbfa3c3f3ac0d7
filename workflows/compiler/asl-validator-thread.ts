import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from "node:worker_threads";
import { ASL_VALIDATOR_OPTIONS, type AslValidatorError } from "./validate-asl.js";

/** What a validator thread answers, exactly once: asl-validator's errors, or why it could not run. */
export type ThreadAnswer = { readonly errors: readonly AslValidatorError[] } | { readonly failure: string };

/**
 * The thread's whole program, as source: it needs nothing but asl-validator, so it runs without
 * a TypeScript loader (under tsx, vitest or a bundle alike). It loads the validator and checks a
 * small machine while the main thread is still parsing runbooks, so the real batch meets a warm
 * JIT; then it validates the one definition it is sent (JSON text, parsed here, off the main
 * thread) and answers once. Anything that stops it is answered as a failure, never left silent.
 */
const THREAD_SOURCE = `
"use strict";
const { workerData } = require("node:worker_threads");
const { port, signal, validatorModule, options, warmUp } = workerData;
let answered = false;
function answer(message) {
  if (answered) return;
  answered = true;
  port.postMessage(message);
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
}
function describe(error) {
  return error instanceof Error ? error.message : String(error);
}
process.on("exit", (code) => answer({ failure: "the validator thread exited (code " + code + ") before answering" }));
let validate;
try {
  validate = require(validatorModule);
  if (typeof validate !== "function") throw new TypeError(validatorModule + " does not export a function");
  validate(JSON.parse(warmUp), options);
} catch (error) {
  answer({ failure: "could not load asl-validator: " + describe(error) });
}
port.on("message", (json) => {
  if (answered) return port.close();
  try {
    const result = validate(JSON.parse(json), options);
    answer({ errors: result.isValid ? [] : result.errors.map((e) => ({ "Error code": String(e["Error code"]), Message: String(e.Message) })) });
  } catch (error) {
    answer({ failure: "asl-validator threw: " + describe(error) });
  }
  port.close();
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

/** A validator thread the main thread can wait for without an event loop (compiles are synchronous). */
export class AslValidatorThread {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  private sent = false;

  constructor(validatorModule: string) {
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

  /** Sends the definition, as JSON text, for the thread's single validation. */
  send(definitionJson: string): void {
    if (this.sent) throw new Error("a validator thread validates one definition");
    this.sent = true;
    this.port.postMessage(definitionJson);
  }

  /** Blocks until the thread answers, or reports a failure when it has not within `timeoutMs`. */
  wait(timeoutMs: number): ThreadAnswer {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const received = receiveMessageOnPort(this.port);
      if (received) return received.message as ThreadAnswer;
      const left = deadline - Date.now();
      if (left <= 0) return { failure: `the validator thread did not answer within ${timeoutMs} ms` };
      Atomics.wait(this.signal, 0, 0, left);
    }
  }

  close(): void {
    this.port.close();
    void this.worker.terminate();
  }
}
