import { setImmediate as nextMacrotask } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { AttemptBarrier } from "../../workflows/local/attempt-barrier.js";

/** Whether the invocation settles within ten promise hops (without waiting for anything else queued). */
async function settlesWithinTenHops(invocation: Promise<void>): Promise<boolean> {
  let settled = false;
  void invocation.then(() => {
    settled = true;
  });
  for (let hop = 0; hop < 10; hop++) await Promise.resolve();
  const early = settled;
  await invocation;
  return early;
}

/** The next invocation of `state` is still held after a turn of the event loop, and goes through once its attempt is recorded. */
async function expectHeldUntilRecorded(barrier: AttemptBarrier, state: string): Promise<void> {
  let passed = false;
  const invocation = barrier.invocation(state).then(() => {
    passed = true;
  });
  await nextMacrotask();
  expect(passed).toBe(false);
  barrier.attemptRecorded(state);
  await invocation;
  expect(passed).toBe(true);
}

describe("AttemptBarrier", () => {
  it("holds an invocation until its attempt is recorded, then lets it through", async () => {
    await expectHeldUntilRecorded(new AttemptBarrier(false), "Task A");
  });

  it("counts attempts per state: a retry waits for its own StateRetried", async () => {
    const barrier = new AttemptBarrier(false);
    barrier.attemptRecorded("Task A");
    await barrier.invocation("Task A");
    await expectHeldUntilRecorded(barrier, "Task A");
  });

  it("with several invocations of one state waiting (a Map's iterations), each recorded attempt lets one more through, in order", async () => {
    const barrier = new AttemptBarrier(false);
    const passed: number[] = [];
    const invocations = [1, 2, 3].map((n) => barrier.invocation("Task in map").then(() => passed.push(n)));
    barrier.attemptRecorded("Task in map");
    await Promise.resolve();
    await Promise.resolve();
    expect(passed).toEqual([1]);
    barrier.attemptRecorded("Task in map");
    barrier.attemptRecorded("Task in map");
    await Promise.all(invocations);
    expect(passed).toEqual([1, 2, 3]);
    // An attempt recorded before its invocation lets that invocation straight through.
    barrier.attemptRecorded("Task in map");
    await barrier.invocation("Task in map");
  });

  it("in a machine with Map or Parallel states, waits no macrotask before any of them is entered (the log is still one FIFO queue)", async () => {
    const barrier = new AttemptBarrier(true);
    barrier.attemptRecorded("Task A");
    expect(await settlesWithinTenHops(barrier.invocation("Task A"))).toBe(true);
  });

  it("once a Map or Parallel state is entered, also waits for the microtasks queued so far (nested events still being forwarded)", async () => {
    const barrier = new AttemptBarrier(true);
    barrier.nestedStateEntered();
    barrier.attemptRecorded("Task in map");
    // A forwarding loop a few dozen promise hops long, as the library's nested event logs are.
    let forwarded = false;
    void (async () => {
      for (let hop = 0; hop < 40; hop++) await Promise.resolve();
      forwarded = true;
    })();
    expect(await settlesWithinTenHops(barrier.invocation("Task in map"))).toBe(false);
    expect(forwarded).toBe(true);
  });

  it("never waits for a turn of the event loop: a task goes on before timers, I/O and setImmediate", async () => {
    const barrier = new AttemptBarrier(true);
    barrier.nestedStateEntered();
    barrier.attemptRecorded("Task in map");
    let turned = false;
    setImmediate(() => {
      turned = true;
    });
    await barrier.invocation("Task in map");
    expect(turned).toBe(false);
  });

  it("a machine without them never waits for the microtasks either", async () => {
    const barrier = new AttemptBarrier(false);
    barrier.nestedStateEntered();
    barrier.attemptRecorded("Task A");
    expect(await settlesWithinTenHops(barrier.invocation("Task A"))).toBe(true);
  });

  it("lets every waiter go once the execution has ended", async () => {
    const barrier = new AttemptBarrier(true);
    const waiting = [barrier.invocation("Task A"), barrier.invocation("Task B")];
    barrier.release();
    await expect(Promise.all(waiting)).resolves.toBeDefined();
  });
});
