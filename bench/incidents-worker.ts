import { parentPort, workerData } from "node:worker_threads";
import * as z from "zod";
import { openLocalRuntime } from "../workflows/local/local-runtime.js";
import { bruteForceFleet, DISCARDED_HISTORY, runFleet } from "./incidents.bench.js";
import { threadCpuMs } from "./measure.js";

/**
 * One of the runners of "two runners sharing one embedded store": a worker thread with its own
 * simulated account (its share of the fleet), its own LocalIncidentRunner and its own connection
 * to the shared irflow.db, as a second `irflow run` process would have.
 */
export const RunnerJob = z.strictObject({
  runbookId: z.string().min(1),
  first: z.number().int().min(0),
  count: z.number().int().min(1),
  concurrency: z.number().int().min(1),
  dir: z.string().min(1),
  reportsDirectory: z.string().min(1),
  now: z.iso.datetime(),
  /** `discarded` for the ceiling run: the runner stores no history (see DISCARDED_HISTORY). */
  history: z.enum(["stored", "discarded"]),
});
export type RunnerJob = z.infer<typeof RunnerJob>;

export interface RunnerDone {
  readonly incidents: number;
  readonly resolved: number;
  /** Epoch ms (comparable across threads): when this runner was ready to run, and when its last incident ended. */
  readonly readyAt: number;
  readonly doneAt: number;
  /** This thread's own CPU ms since it started, when ready and when done (undefined off Linux). */
  readonly readyCpuMs: number | undefined;
  readonly doneCpuMs: number | undefined;
}

async function runJob(job: RunnerJob): Promise<RunnerDone> {
  const now = new Date(job.now);
  const { scenario, events } = bruteForceFleet(job.count, job.first);
  const runtime = await openLocalRuntime({ account: scenario.account, runbookIds: [job.runbookId], clock: { now: () => now }, retryDelayScale: 0, reportsDirectory: job.reportsDirectory, approvalSweepMs: 0, dir: job.dir, ...(job.history === "discarded" ? { history: DISCARDED_HISTORY } : {}) });
  try {
    const readyAt = performance.timeOrigin + performance.now();
    const readyCpuMs = threadCpuMs();
    const measured = await runFleet(runtime.runner, events, job.concurrency);
    return { incidents: events.length, resolved: measured.resolved, readyAt, doneAt: performance.timeOrigin + performance.now(), readyCpuMs, doneCpuMs: threadCpuMs() };
  } finally {
    runtime.close();
  }
}

if (parentPort && workerData !== undefined) {
  const port = parentPort;
  const job = RunnerJob.parse((workerData as { job?: unknown }).job);
  runJob(job).then(
    (done) => port.postMessage(done),
    (error: unknown) => {
      throw error instanceof Error ? error : new Error(String(error));
    },
  );
}
