/** `closeAbandoned` asks the liveness record before it ends RUNNING executions without --force. */
import { hostname } from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import { closeAbandoned } from "../../../workflows/local/incident/close-abandoned.js";
import type { LivenessProbe } from "../../../workflows/local/incident/run-liveness.js";
import { openLocalRuntime } from "../../../workflows/local/local-runtime.js";
import { EmbeddedDatabase } from "../../../workflows/local/store/embedded-database.js";
import { SqliteHistory } from "../../../workflows/local/store/sqlite-history.js";
import { scenario } from "../incident/support.js";
import { until } from "../../support/eventually.js";
import { tempDir as makeTempDir } from "../../support/temp-dir.js";

const GATED = "iam-access-key-compromise";
const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** Removed when the test finishes, after the afterEach above has closed what uses it. */
const tempDir = (): string => makeTempDir("irflow-liveness-close-");

/**
 * A runtime on a fresh store whose incident waits at its approval (its heartbeat timer off, so the
 * record only has the beat it registered with), and a second connection, as another process.
 */
async function waitingRun() {
  const dir = tempDir();
  const s = await scenario(GATED);
  const runtime = await openLocalRuntime({ dir, account: s.account, runbookIds: [GATED], clock: { now: () => new Date() }, retryDelayScale: 0, reportsDirectory: tempDir(), approvalSweepMs: 0, heartbeat: { intervalMs: 0 } });
  const run = runtime.runner.runIncident({ runbookId: GATED, event: s.event, approvals: "manual" });
  cleanup.push(async () => {
    await runtime.runner.abort({ by: "test", reason: "cleanup" }).catch(() => undefined);
    await run.catch(() => undefined);
    runtime.close();
  });
  const { incidentId } = await until(async () => (await runtime.runner.approvals.list())[0]);
  const other = EmbeddedDatabase.open({ dir });
  cleanup.push(() => other.close());
  return { runtime, incidentId, other };
}

describe("closeAbandoned and the liveness record", { timeout: 60_000 }, () => {
  it("refuses while the runner is alive, closes without force once it reads as gone, and force still closes whatever it reads", async () => {
    const { runtime, incidentId, other } = await waitingRun();
    const request = { incidentId, by: "bob", reason: "its terminal was closed", force: false, reportsDirectory: tempDir(), now: new Date() };

    const here: LivenessProbe = { hostname: "this-host", nowMs: Date.now, pidExists: () => true };
    // Another host, its heartbeat recent: alive by the heartbeat alone.
    const alive = await closeAbandoned(other, { ...request, probe: here });
    expect(alive).toMatchObject({ closed: false, problem: "running" });
    expect(alive.closed === false && alive.message).toContain(`${incidentId} is still run by a live process (pid ${process.pid} on `);
    expect(alive.closed === false && alive.message).toContain(`irflow abort ${incidentId} --reason <why>`);
    expect(new SqliteHistory(other).list({ incidentId, status: "RUNNING" })).toHaveLength(2);

    // A minute later with no beat (the interval is off here): stale, so gone.
    const gone = await closeAbandoned(other, { ...request, probe: { ...here, nowMs: () => Date.now() + 60_000 } });
    expect(gone).toMatchObject({ closed: true, goneRunners: [expect.objectContaining({ runnerId: runtime.runnerId, pid: process.pid })] });
    expect(gone.closed && gone.aborted).toHaveLength(2);
    expect(new SqliteHistory(other).list({ incidentId, status: "RUNNING" })).toEqual([]);
  });

  it("with force, closes a live runner's incident as before, without asking", async () => {
    const { incidentId, other } = await waitingRun();
    const probe: LivenessProbe = { hostname: "x", nowMs: Date.now, pidExists: () => {
      throw new Error("force does not ask");
    } };
    const closed = await closeAbandoned(other, { incidentId, by: "bob", reason: "known gone", force: true, reportsDirectory: tempDir(), now: new Date(), probe });
    expect(closed).toMatchObject({ closed: true });
    expect(closed.closed && "goneRunners" in closed).toBe(false);
  });

  it("on this host, a stale heartbeat with the pid still there is unknown: refuses and asks for --force (a suspended run or a reused pid)", async () => {
    const { incidentId, other } = await waitingRun();
    const probe: LivenessProbe = { hostname: hostname(), nowMs: () => Date.now() + 60_000, pidExists: () => true };
    const refused = await closeAbandoned(other, { incidentId, by: "bob", reason: "looks dead", force: false, reportsDirectory: tempDir(), now: new Date(), probe });
    expect(refused).toMatchObject({ closed: false, problem: "running" });
    expect(refused.closed === false && refused.message).toContain("irflow cannot tell whether a process still runs");
    expect(refused.closed === false && refused.message).toContain("--force");
    expect(new SqliteHistory(other).list({ incidentId, status: "RUNNING" })).toHaveLength(2);
  });
});
