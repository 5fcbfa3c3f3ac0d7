import { describe, expect, it } from "vitest";
import { ExecutionStop, type StopListener } from "../../workflows/local/execution-stop.js";

const listener = (log: string[], name: string): StopListener => ({ executionStopped: (reason) => void log.push(`${name}:${reason.message}`) });

describe("an execution's stop", () => {
  it("reaches the attempts following it, first joined first, once, with the first reason", () => {
    const stop = new ExecutionStop();
    const log: string[] = [];
    const [a, b, c] = ["a", "b", "c"].map((name) => listener(log, name));
    stop.join(a!);
    stop.join(b!);
    stop.join(c!);
    stop.leave(b!);
    expect(stop.reason).toBeUndefined();
    stop.stop(new Error("aborted"));
    stop.stop(new Error("ended FAILED"));
    expect(log).toEqual(["a:aborted", "c:aborted"]);
    expect(stop.reason?.message).toBe("aborted");
  });

  it("tells an attempt that joins after the stop at once, and keeps nothing of it", () => {
    const stop = new ExecutionStop();
    const log: string[] = [];
    stop.stop(new Error("timed out"));
    const late = listener(log, "late");
    stop.join(late);
    expect(log).toEqual(["late:timed out"]);
    stop.stop(new Error("again"));
    expect(log).toEqual(["late:timed out"]);
  });
});
