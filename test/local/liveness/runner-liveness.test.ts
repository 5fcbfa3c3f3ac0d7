import { describe, expect, it } from "vitest";
import { combinedLiveness, HEARTBEAT_INTERVAL_MS, MISSED_BEATS, pidExists, runnerLiveness, type RunnerRecord, type Vantage } from "../../../workflows/local/runner-liveness.js";

const NOW = Date.parse("2026-11-25T06:00:00.000Z");
const runner = (overrides: Partial<RunnerRecord> = {}): RunnerRecord => ({ runnerId: "run-1", pid: 4242, hostname: "laptop", startedAt: "2026-11-25T05:00:00.000Z", heartbeatMs: NOW - 1000, ...overrides });
const here = (overrides: Partial<Vantage> = {}): Vantage => ({ hostname: "laptop", nowMs: NOW, pidExists: () => true, ...overrides });

describe("runnerLiveness", () => {
  it("is alive on this host when the pid exists and the heartbeat is recent", () => {
    expect(runnerLiveness(runner(), here())).toBe("alive");
  });

  it("is gone once the runner has ended, whatever its pid and heartbeat say", () => {
    expect(runnerLiveness(runner({ endedAt: "2026-11-25T05:59:59.000Z" }), here())).toBe("gone");
  });

  it("is gone on this host when its pid no longer exists, even with a fresh heartbeat (SIGKILL just now)", () => {
    const asked: number[] = [];
    expect(runnerLiveness(runner({ heartbeatMs: NOW }), here({ pidExists: (pid) => (asked.push(pid), false) }))).toBe("gone");
    expect(asked).toEqual([4242]);
  });

  it("is unknown on this host when the heartbeat is stale although the pid exists (a suspended process, or a reused pid)", () => {
    const stale = NOW - MISSED_BEATS * HEARTBEAT_INTERVAL_MS - 1;
    expect(runnerLiveness(runner({ heartbeatMs: stale }), here())).toBe("unknown");
    // Exactly at the limit still counts as recent.
    expect(runnerLiveness(runner({ heartbeatMs: NOW - MISSED_BEATS * HEARTBEAT_INTERVAL_MS }), here())).toBe("alive");
    expect(runnerLiveness(runner({ heartbeatMs: NOW - 5000 }), here({ staleAfterMs: 4000 }))).toBe("unknown");
    // Stale and its pid gone: gone.
    expect(runnerLiveness(runner({ heartbeatMs: stale }), here({ pidExists: () => false }))).toBe("gone");
  });

  it("on another host, judges by the heartbeat alone: its pids mean nothing here", () => {
    const probe = () => {
      throw new Error("must not look up another host's pid");
    };
    expect(runnerLiveness(runner({ hostname: "ci-box" }), here({ pidExists: probe }))).toBe("alive");
    expect(runnerLiveness(runner({ hostname: "ci-box", heartbeatMs: NOW - 60_000 }), here({ pidExists: probe }))).toBe("gone");
  });

  it("is unknown when the execution names no runner (written before the record existed)", () => {
    expect(runnerLiveness(undefined, here())).toBe("unknown");
  });

  it("is gone when the execution names a runner whose row is missing (pruned, or deleted): never alive or unknown", () => {
    expect(runnerLiveness({ runnerId: "run-1", missing: true }, here())).toBe("gone");
    expect(runnerLiveness({ runnerId: "run-1", missing: true }, here({ hostname: "elsewhere" }))).toBe("gone");
  });
});

describe("combinedLiveness", () => {
  it("is alive if any execution's runner is, gone only if every one is, unknown otherwise", () => {
    expect(combinedLiveness(["gone", "alive"])).toBe("alive");
    expect(combinedLiveness(["gone", "gone"])).toBe("gone");
    expect(combinedLiveness(["gone", "unknown"])).toBe("unknown");
    expect(combinedLiveness([])).toBe("unknown");
  });
});

describe("pidExists", () => {
  it("finds this process, and not a pid no process has", () => {
    expect(pidExists(process.pid)).toBe(true);
    // Above Linux's pid_max (4194304): no process can have it.
    expect(pidExists(2 ** 22 + 17)).toBe(false);
  });

  it("counts a process it may not signal (EPERM) as existing", () => {
    // pid 1 belongs to root; when the tests run as root it is signallable and exists all the same.
    expect(pidExists(1)).toBe(true);
  });
});
