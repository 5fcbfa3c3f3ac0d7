import { hostname } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { HistoryEvent } from "../../../workflows/local/history.js";
import { RunnerHeartbeat } from "../../../workflows/local/runner-heartbeat.js";
import { EmbeddedDatabase, MIGRATIONS } from "../../../workflows/local/store/embedded-database.js";
import { SqliteHistory } from "../../../workflows/local/store/sqlite-history.js";
import { SqliteRunners } from "../../../workflows/local/store/sqlite-runners.js";
import { useTempDatabases } from "../store/support.js";

const temp = useTempDatabases();
afterEach(() => void vi.useRealTimers());

const arn = (name: string) => `arn:aws:states:eu-west-1:123456789012:execution:m:${name}`;
const started = (parent?: string): HistoryEvent => ({
  id: 1,
  previousEventId: 0,
  timestamp: "2026-11-25T06:00:00.000Z",
  type: "ExecutionStarted",
  details: { input: {}, stateMachineArn: "arn:sm", ...(parent ? { parentExecutionArn: parent } : {}) },
});

const RUN_A = { runnerId: "run-a", pid: 77, hostname: "laptop", startedAt: "2026-11-25T06:00:00.000Z" };

describe("the runners table", () => {
  it("registers, beats, ends, and reads back a runner", () => {
    const runners = new SqliteRunners(temp.fresh());
    runners.register({ runnerId: "run-a", pid: 77, hostname: "laptop", startedAt: "2026-11-25T06:00:00.000Z", heartbeatMs: 1000 });
    expect(runners.beat(RUN_A, 3000)).toBe(true);
    expect(runners.get("run-a")).toEqual({ runnerId: "run-a", pid: 77, hostname: "laptop", startedAt: "2026-11-25T06:00:00.000Z", heartbeatMs: 3000 });
    runners.end("run-a", new Date("2026-11-25T06:01:00.000Z"));
    // An ended runner's heartbeat stays where it ended; a second end keeps the first.
    expect(runners.beat(RUN_A, 9000)).toBe(false);
    runners.end("run-a", new Date("2026-11-25T07:00:00.000Z"));
    expect(runners.get("run-a")).toMatchObject({ heartbeatMs: 3000, endedAt: "2026-11-25T06:01:00.000Z" });
    expect(runners.get("run-b")).toBeUndefined();
  });

  it("names the runner on each execution its history writes, children and links included, and lists RUNNING ones with it", () => {
    const database = temp.fresh();
    const runners = new SqliteRunners(database);
    runners.register({ runnerId: "run-a", pid: 77, hostname: "laptop", startedAt: "2026-11-25T06:00:00.000Z", heartbeatMs: 1000 });
    const history = new SqliteHistory(database, { runnerId: "run-a" });
    // The link can come before the first event: the row it makes names the runner too.
    history.linkIncident(arn("root"), "inc-1");
    history.append(arn("root"), started());
    history.append(arn("child"), started(arn("root")));
    // A history without a runner (tests, an older irflow) names none.
    new SqliteHistory(database).append(arn("other"), started());

    const running = runners.running();
    expect(running.map((r) => [r.executionArn, r.runner?.runnerId])).toEqual([
      [arn("root"), "run-a"],
      [arn("child"), "run-a"],
      [arn("other"), undefined],
    ]);
    expect(runners.running({ incidentId: "inc-1" }).map((r) => r.executionArn)).toEqual([arn("root"), arn("child")]);
    expect(runners.execution(arn("child"))).toEqual({ status: "RUNNING", runner: runners.get("run-a") });
    expect(runners.execution(arn("other"))).toEqual({ status: "RUNNING" });
    expect(runners.execution(arn("never"))).toBeUndefined();

    // Ended executions are not RUNNING ones.
    history.markAborted(arn("child"), "2026-11-25T06:02:00.000Z", "test");
    expect(runners.running({ incidentId: "inc-1" }).map((r) => r.executionArn)).toEqual([arn("root")]);
  });

  it("gives a beat back at once, changing nothing, while another connection holds the write lock", () => {
    const dir = temp.dir();
    const database = temp.open(dir);
    const other = temp.open(dir);
    const runners = new SqliteRunners(database);
    runners.register({ runnerId: "run-a", pid: 77, hostname: "laptop", startedAt: "2026-11-25T06:00:00.000Z", heartbeatMs: 1000 });
    other.db.prepare("BEGIN IMMEDIATE").run();
    const before = Date.now();
    expect(runners.beat(RUN_A, 5000)).not.toBe(true);
    expect(Date.now() - before).toBeLessThan(500);
    other.db.prepare("ROLLBACK").run();
    expect(runners.beat(RUN_A, 5000)).toBe(true);
    expect(runners.get("run-a")?.heartbeatMs).toBe(5000);
  });
});

describe("pruning the runners table", () => {
  const DAY = 24 * 60 * 60 * 1000;
  const NOW = Date.parse("2026-11-25T06:00:00.000Z");
  const runner = (runnerId: string, heartbeatMs: number) => ({ runnerId, pid: 77, hostname: "laptop", startedAt: new Date(heartbeatMs - 1000).toISOString(), heartbeatMs });
  const ids = (database: EmbeddedDatabase) => database.db.prepare<[], { runner_id: string }>("SELECT runner_id FROM runners ORDER BY runner_id").pluck().all();

  it("on register, removes runners that ended (or, killed, last beat) more than the retention ago, keeping recent ones and those a RUNNING execution names", () => {
    const database = temp.fresh();
    const runners = new SqliteRunners(database);
    for (const [id, at] of [["old-ended", NOW - 8 * DAY], ["old-named", NOW - 9 * DAY], ["old-killed", NOW - 8 * DAY], ["recent-ended", NOW - 6 * DAY], ["recent-killed", NOW - 1 * DAY], ["old-named-ended", NOW - 10 * DAY]] as const) {
      runners.register(runner(id, at), { retentionMs: 100 * DAY });
      if (!id.endsWith("killed")) runners.end(id, new Date(at + 1000));
    }
    // A runner that ended long ago with an execution still RUNNING (killed mid-close, say): kept, so the execution names a record.
    new SqliteHistory(database, { runnerId: "old-named" }).append(arn("stuck"), started());
    // One whose execution has ended: nothing holds it.
    const done = new SqliteHistory(database, { runnerId: "old-named-ended" });
    done.append(arn("done"), started());
    done.markAborted(arn("done"), "2026-11-16T00:00:00.000Z", "test");
    expect(ids(database)).toHaveLength(6);

    runners.register(runner("new", NOW));
    expect(ids(database)).toEqual(["new", "old-named", "recent-ended", "recent-killed"]);
    expect(runners.running().map((r) => r.runner?.runnerId)).toEqual(["old-named"]);
  });

  it("takes the retention from the caller, and prunes on demand, saying how many went", () => {
    const database = temp.fresh();
    const runners = new SqliteRunners(database);
    runners.register(runner("a", NOW - 2 * DAY));
    runners.end("a", new Date(NOW - 2 * DAY));
    runners.register(runner("b", NOW), { retentionMs: 3 * DAY });
    expect(ids(database)).toEqual(["a", "b"]);
    runners.register(runner("c", NOW), { retentionMs: DAY });
    expect(ids(database)).toEqual(["b", "c"]);
    runners.end("b", new Date(NOW - 60_000));
    expect(runners.prune(NOW - 1)).toBe(1);
    expect(runners.prune(NOW - 1)).toBe(0);
    // "c" never ended and last beat at NOW: a cutoff past that counts it as killed before the cutoff.
    expect(runners.prune(NOW + 1)).toBe(1);
    expect(ids(database)).toEqual([]);
  });

  it("reads an execution whose runner's row is missing as naming a missing runner, and its run as gone", async () => {
    const { runningExecutionsLiveness, approvalRunLiveness } = await import("../../../workflows/local/incident/run-liveness.js");
    const database = temp.fresh();
    new SqliteHistory(database, { runnerId: "run-pruned" }).append(arn("orphan"), started());
    new SqliteHistory(database).append(arn("unnamed"), started());
    const runners = new SqliteRunners(database);
    expect(runners.running().map((r) => [r.executionArn, r.runner])).toEqual([
      [arn("orphan"), { runnerId: "run-pruned", missing: true }],
      [arn("unnamed"), undefined],
    ]);
    expect(runners.execution(arn("orphan"))).toEqual({ status: "RUNNING", runner: { runnerId: "run-pruned", missing: true } });
    const probe = { hostname: "laptop", nowMs: () => NOW, pidExists: () => true };
    expect(runningExecutionsLiveness(database, {}, probe)).toEqual(
      new Map([
        [arn("orphan"), { liveness: "gone", runners: [] }],
        [arn("unnamed"), { liveness: "unknown", runners: [] }],
      ]),
    );
    expect(approvalRunLiveness(database, arn("orphan"), probe)).toEqual({ liveness: "gone", runners: [] });
  });

  it("puts back, with its next beat, the row of a live runner pruned while it was suspended; an ended one stays ended", () => {
    const database = temp.fresh();
    const runners = new SqliteRunners(database);
    runners.register({ ...RUN_A, heartbeatMs: NOW - 8 * DAY });
    runners.register(runner("b", NOW));
    expect(runners.get("run-a")).toBeUndefined();
    expect(runners.beat(RUN_A, NOW + 1)).toBe(true);
    expect(runners.get("run-a")).toEqual({ ...RUN_A, heartbeatMs: NOW + 1 });
    runners.end("run-a", new Date(NOW + 2));
    expect(runners.beat(RUN_A, NOW + 3)).toBe(false);
    expect(runners.get("run-a")).toMatchObject({ heartbeatMs: NOW + 1, endedAt: new Date(NOW + 2).toISOString() });
  });
});

describe("RunnerHeartbeat", () => {
  it("registers on start, beats on its interval with the injected clock, retries soon when locked, and ends on stop", () => {
    vi.useFakeTimers();
    const database = temp.fresh();
    const runners = new SqliteRunners(database);
    let now = 10_000;
    const heartbeat = RunnerHeartbeat.start(runners, { now: () => now, intervalMs: 2000, pid: 99, hostname: "box", runnerId: "run-x" });
    expect(runners.get("run-x")).toEqual({ runnerId: "run-x", pid: 99, hostname: "box", startedAt: new Date(10_000).toISOString(), heartbeatMs: 10_000 });
    now = 12_000;
    vi.advanceTimersByTime(2000);
    expect(runners.get("run-x")?.heartbeatMs).toBe(12_000);
    now = 13_000;
    vi.advanceTimersByTime(1999);
    expect(runners.get("run-x")?.heartbeatMs).toBe(12_000);
    heartbeat.stop();
    expect(runners.get("run-x")?.endedAt).toBe(new Date(13_000).toISOString());
    // No timer left behind.
    expect(vi.getTimerCount()).toBe(0);
    heartbeat.stop();
  });

  it("prunes, as it registers, the rows of runners that ended longer than its retention ago", () => {
    const database = temp.fresh();
    const runners = new SqliteRunners(database);
    runners.register({ runnerId: "run-old", pid: 1, hostname: "box", startedAt: "2026-11-20T00:00:00.000Z", heartbeatMs: Date.parse("2026-11-20T00:00:00.000Z") });
    runners.end("run-old", new Date("2026-11-20T00:00:01.000Z"));
    const heartbeat = RunnerHeartbeat.start(runners, { now: () => Date.parse("2026-11-25T00:00:00.000Z"), intervalMs: 0, runnerId: "run-new", retentionMs: 24 * 60 * 60 * 1000 });
    heartbeat.stop();
    expect(runners.get("run-old")).toBeUndefined();
    expect(runners.get("run-new")).toBeDefined();
  });

  it("does not keep the process alive", () => {
    const database = temp.fresh();
    const heartbeat = RunnerHeartbeat.start(new SqliteRunners(database));
    try {
      expect(heartbeat.runnerId).toMatch(/^run-/);
      const timer = (heartbeat as unknown as { timer: NodeJS.Timeout }).timer;
      expect(timer.hasRef()).toBe(false);
      expect(new SqliteRunners(database).get(heartbeat.runnerId)).toMatchObject({ pid: process.pid });
    } finally {
      heartbeat.stop();
    }
  });
});

describe("migration 10", () => {
  it("brings a version-9 file forward: its executions kept, naming no runner", () => {
    const dir = temp.dir();
    const old = EmbeddedDatabase.open({ dir }, MIGRATIONS.filter((m) => m.version <= 9));
    expect(old.schemaVersion()).toBe(9);
    old.db.prepare("INSERT INTO executions (execution_arn, first_event_at, started_at, incident_id) VALUES (?, ?, ?, ?)").run(arn("old"), "2026-11-24T00:00:00.000Z", "2026-11-24T00:00:00.000Z", "inc-old");
    old.close();

    const upgraded = temp.open(dir);
    expect(upgraded.schemaVersion()).toBe(10);
    expect(new SqliteRunners(upgraded).running({ incidentId: "inc-old" })).toEqual([{ executionArn: arn("old"), incidentId: "inc-old" }]);
  });
});

describe("openLocalRuntime's liveness record", { timeout: 60_000 }, () => {
  it("registers the process, names it on every execution an incident starts, and ends it on close", async () => {
    const { openLocalRuntime } = await import("../../../workflows/local/local-runtime.js");
    const { NOW, scenario } = await import("../incident/support.js");
    const s = await scenario("ssh-rdp-brute-force");
    const dir = temp.dir();
    const runtime = await openLocalRuntime({ dir, account: s.account, runbookIds: ["ssh-rdp-brute-force"], clock: { now: () => NOW }, retryDelayScale: 0, reportsDirectory: join(dir, "reports"), approvalSweepMs: 0 });
    let closed = false;
    try {
      const other = temp.open(dir);
      // The run's clock is fixed in the past: the record keeps the wall clock, which readers compare with theirs.
      expect(new SqliteRunners(other).get(runtime.runnerId)).toMatchObject({ pid: process.pid, hostname: hostname() });
      expect(Math.abs(new SqliteRunners(other).get(runtime.runnerId)!.heartbeatMs - Date.now())).toBeLessThan(60_000);
      await expect(runtime.runner.runIncident({ runbookId: "ssh-rdp-brute-force", event: s.event, approvals: "auto" })).resolves.toMatchObject({ status: "resolved" });
      const runners = other.db.prepare<[], { runner_id: string | null }>("SELECT runner_id FROM executions").all().map((row) => row.runner_id);
      expect(runners).toHaveLength(6);
      expect(new Set(runners)).toEqual(new Set([runtime.runnerId]));
      runtime.close();
      closed = true;
      expect(new SqliteRunners(other).get(runtime.runnerId)?.endedAt).toBeDefined();
    } finally {
      if (!closed) runtime.close();
    }
  });
});
