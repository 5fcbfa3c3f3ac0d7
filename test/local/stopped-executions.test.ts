import { setImmediate as nextTurn } from "node:timers/promises";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { engineFor, invoke, machine } from "./machines.js";

// The collector, to show that nothing is left holding a stopped run.
setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

describe("stopped executions", () => {
  it("are described, but the engine drops their handle, which reaches the whole run (a long-lived engine kept ~100 KiB an incident)", async () => {
    const { engine } = engineFor({ "t/one": machine({ Work: { ...invoke("work"), End: true } }) }, { work: async () => ({ done: true }) });
    // The handle reaches the whole run: the library's state, timers, the recorder. Only a weak reference to it is kept here.
    const { executionArn, result, run } = ((handle) => ({ executionArn: handle.executionArn, result: handle.result, run: new WeakRef(handle) }))(engine.start("t/one", { n: 1 }, { name: "run-1" }));
    await expect(result).resolves.toMatchObject({ status: "SUCCEEDED" });
    // A WeakRef keeps its target until the current job ends.
    await nextTurn();
    collectGarbage();
    expect(run.deref()).toBeUndefined();

    expect(engine.describeExecution(executionArn)).toMatchObject({ status: "SUCCEEDED", name: "run-1", input: { n: 1 } });
    // Its name stays taken, as in Step Functions.
    expect(() => engine.start("t/one", { n: 1 }, { name: "run-1" })).toThrow(/already exists and has stopped \(SUCCEEDED\)/);
  });

  it("keep their handle while running, so starting the same name and input again joins the run", async () => {
    let finish: (() => void) | undefined;
    const { engine } = engineFor(
      { "t/one": machine({ Work: { ...invoke("work"), End: true } }) },
      { work: () => new Promise((resolve) => (finish = () => resolve({ done: true }))) },
    );
    const first = engine.start("t/one", { n: 1 }, { name: "run-1" });
    expect(engine.start("t/one", { n: 1 }, { name: "run-1" })).toBe(first);
    while (finish === undefined) await nextTurn();
    finish();
    await expect(first.result).resolves.toMatchObject({ status: "SUCCEEDED" });
  });
});
