import { afterEach, describe, expect, it, vi } from "vitest";
import { installPromiseWithResolvers } from "../../workflows/local/promise-polyfill.js";

type WithResolvers = <T>() => { promise: Promise<T>; resolve: (value: T) => void; reject: (reason?: unknown) => void };
const promiseStatics = Promise as unknown as { withResolvers?: WithResolvers };
const original = promiseStatics.withResolvers;

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
    let atLibraryLoad: string | undefined;
    vi.doMock("aws-local-stepfunctions", async (importOriginal) => {
      atLibraryLoad = typeof promiseStatics.withResolvers;
      return importOriginal();
    });
    try {
      await import("../../workflows/local/step-functions-library.js");
    } finally {
      vi.doUnmock("aws-local-stepfunctions");
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
