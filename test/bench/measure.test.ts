import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { cpuMsFromStat, threadCpuMs } from "../../bench/measure.js";

describe("thread CPU time", () => {
  it("reads utime and stime (fields 14 and 15, in 10 ms ticks) after the command name, which may hold spaces and parentheses", () => {
    const line = "4242 (node (worker) 1) R 1 4242 4242 0 -1 4194304 100 0 0 0 123 45 0 0 20 0 7 0 100 0 0 18446744073709551615\n";
    expect(cpuMsFromStat(line)).toBe(1680);
  });

  it("answers undefined for text that is not a stat line", () => {
    expect(cpuMsFromStat("")).toBeUndefined();
    expect(cpuMsFromStat("1 (x) R 1 2")).toBeUndefined();
    expect(cpuMsFromStat("1 (x) R 1 2 3 4 5 6 7 8 9 ten eleven 0 0")).toBeUndefined();
  });

  it.runIf(existsSync("/proc/thread-self/stat"))("counts this thread's own work", () => {
    const before = threadCpuMs()!;
    // Spin until 30 ms of CPU show (however loaded the machine), or give up after 10 s of wall time.
    const giveUpAt = performance.now() + 10_000;
    let used = 0;
    while (used < 30 && performance.now() < giveUpAt) used = threadCpuMs()! - before;
    expect(used).toBeGreaterThanOrEqual(30);
  });
});
