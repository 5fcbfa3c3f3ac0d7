/**
 * Whether the process that runs an execution is still there. A run waiting at an approval resumes
 * only in its own process: when that process died, an answer from a second terminal reaches no one,
 * and `irflow incidents close` may end what it left RUNNING without `--force`.
 */

/** How often a runner refreshes its heartbeat. */
export const HEARTBEAT_INTERVAL_MS = 2000;
/** Beats a runner may miss (a busy event loop, a write lock held) before it counts as gone. */
export const MISSED_BEATS = 3;

/** A process that runs incidents on the embedded store, as the store records it. */
export interface RunnerRecord {
  readonly runnerId: string;
  readonly pid: number;
  readonly hostname: string;
  /** ISO 8601. */
  readonly startedAt: string;
  /** Wall-clock milliseconds of its last heartbeat. */
  readonly heartbeatMs: number;
  /** ISO 8601; set when it closed the store. */
  readonly endedAt?: string;
}

/** Where and when the question is asked. */
export interface Vantage {
  readonly hostname: string;
  readonly nowMs: number;
  /** Whether a process with this pid exists on this host. */
  readonly pidExists: (pid: number) => boolean;
  /** A heartbeat older than this is stale; default `MISSED_BEATS` intervals. */
  readonly staleAfterMs?: number;
}

/**
 * alive: it has not ended, its heartbeat is recent and (same host) its pid exists; gone:
 * otherwise; unknown: the execution names no runner (written by an irflow before the record, or by
 * a runner without a store), so nothing can be said.
 */
export type Liveness = "alive" | "gone" | "unknown";

/**
 * The rule, pure. The heartbeat alone would judge a live process gone after a long pause of its
 * event loop, and the pid alone would judge a dead one alive once its pid is reused: a runner is
 * alive only when both agree. Another host's pids mean nothing here, so there the heartbeat decides.
 */
export function runnerLiveness(runner: RunnerRecord | undefined, vantage: Vantage): Liveness {
  if (runner === undefined) return "unknown";
  if (runner.endedAt !== undefined) return "gone";
  const staleAfterMs = vantage.staleAfterMs ?? MISSED_BEATS * HEARTBEAT_INTERVAL_MS;
  if (vantage.nowMs - runner.heartbeatMs > staleAfterMs) return "gone";
  if (runner.hostname === vantage.hostname && !vantage.pidExists(runner.pid)) return "gone";
  return "alive";
}

/** The liveness of a run spread over several executions: alive if any is, gone only if all are. */
export function combinedLiveness(each: readonly Liveness[]): Liveness {
  if (each.includes("alive")) return "alive";
  if (each.includes("unknown") || each.length === 0) return "unknown";
  return "gone";
}

/** `process.kill(pid, 0)`: delivers nothing, only asks. EPERM: it exists, owned by someone else. */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** How a runner reads to a responder: `pid 123 on host`, and when it was last heard of. */
export function describeRunner(runner: RunnerRecord): string {
  const last = runner.endedAt !== undefined ? `ended ${runner.endedAt}` : `last heartbeat ${new Date(runner.heartbeatMs).toISOString()}`;
  return `pid ${runner.pid} on ${runner.hostname}, ${last}`;
}
