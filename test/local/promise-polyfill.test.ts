import Module, { createRequire } from "node:module";
import { afterEach, describe, expect, it, vi } from "vitest";
import { installPromiseWithResolvers } from "../../workflows/local/promise-polyfill.js";

type WithResolvers = <T>() => { promise: Promise<T>; resolve: (value: T) => void; reject: (reason?: unknown) => void };
const promiseStatics = Promise as unknown as { withResolvers?: WithResolvers };
const original = promiseStatics.withResolvers;
const requireHere = createRequire(import.meta.url);

afterEach(() => {
  if (original) promiseStatics.withResolvers = original;
  else delete promiseStatics.withResolvers;
});

describe("Promise.withResolvers polyfill", () => {
  it("installs a working withResolvers when it is missing", async () => {
    delete promiseStatics.withResolvers;
    expect(installPromiseWithResolvers()).toBe(true);
    const resolved = promiseStatics.withResolvers!<number>();
    resolved.resolve(7);
    await expect(resolved.promise).resolves.toBe(7);
    const rejected = promiseStatics.withResolvers!<number>();
    rejected.reject(new Error("no"));
    await expect(rejected.promise).rejects.toThrow("no");
  });

  it("leaves an existing implementation alone and is not enumerable", () => {
    installPromiseWithResolvers();
    const installed = promiseStatics.withResolvers;
    expect(installPromiseWithResolvers()).toBe(false);
    expect(promiseStatics.withResolvers).toBe(installed);
    expect(Object.keys(Promise)).not.toContain("withResolvers");
  });

  it("builds promises of the constructor it is called on", () => {
    class Tracked<T> extends Promise<T> {}
    delete promiseStatics.withResolvers;
    installPromiseWithResolvers();
    const { promise, resolve } = (Tracked as unknown as { withResolvers: WithResolvers }).withResolvers<number>();
    resolve(1);
    expect(promise).toBeInstanceOf(Tracked);
  });

  it("is installed before aws-local-stepfunctions is even loaded (ESM evaluation order)", async () => {
    delete promiseStatics.withResolvers;
    vi.resetModules();
    // The library's CommonJS build is loaded by require: evaluate it afresh and note the polyfill's
    // state when the library's own code first runs (its first require).
    const libraryFile = requireHere.resolve("aws-local-stepfunctions");
    const cached = requireHere.cache[libraryFile];
    delete requireHere.cache[libraryFile];
    const moduleRequire = Object.getOwnPropertyDescriptor(Module.prototype, "require")!.value as (this: Module, id: string) => unknown;
    let atLibraryLoad: string | undefined;
    Module.prototype.require = function (this: Module, id: string): unknown {
      if (this.filename === libraryFile) atLibraryLoad ??= typeof promiseStatics.withResolvers;
      return moduleRequire.call(this, id);
    } as NodeJS.Require;
    try {
      await import("../../workflows/local/step-functions-library.js");
    } finally {
      Module.prototype.require = moduleRequire;
      if (cached) requireHere.cache[libraryFile] = cached;
    }
    expect(atLibraryLoad).toBe("function");
  });

  it("is in place whenever the engine module is loaded, so library Tasks run (they fail quietly without it)", async () => {
    delete promiseStatics.withResolvers;
    vi.resetModules();
    const { engineFor, invoke, machine } = await import("./machines.js");
    expect(typeof promiseStatics.withResolvers).toBe("function");
    // A Catch on States.ALL is exactly what would hide a missing polyfill: the run must not take it.
    const { engine } = engineFor(
      { "t/polyfill": machine({ Work: { ...invoke("work"), Catch: [{ ErrorEquals: ["States.ALL"], Next: "Hidden" }], End: true }, Hidden: { Type: "Fail", Error: "Hidden" } }) },
      { work: async () => ({ done: true }) },
    );
    await expect(engine.start("t/polyfill", {}).result).resolves.toMatchObject({ status: "SUCCEEDED", output: { Payload: { done: true } } });
  });

  it("is needed: without it the library fails every Task with an error a Catch swallows", async () => {
    delete promiseStatics.withResolvers;
    const { StateMachine } = await import("aws-local-stepfunctions");
    const bare = new StateMachine(
      { StartAt: "Work", States: { Work: { Type: "Task", Resource: "arn:aws:states:::lambda:invoke", Catch: [{ ErrorEquals: ["States.ALL"], Next: "Hidden" }], End: true }, Hidden: { Type: "Pass", End: true } } },
      { validationOptions: { noValidate: true } },
    );
    const output = await bare.run({}, { overrides: { taskResourceLocalHandlers: { Work: () => ({ done: true }) } } }).result;
    expect(output).toMatchObject({ Error: "TypeError" });
  });
});
