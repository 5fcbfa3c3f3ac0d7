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

/**
 * An execution that names a runner whose row is no longer there: pruned (it ended long ago, see
 * `RUNNER_RETENTION_MS`) or deleted by hand. Whatever it was, nothing records it running now.
 */
export interface MissingRunner {
  readonly runnerId: string;
  readonly missing: true;
}

/** What the store says of an execution's runner: its record, a missing one, or none named (undefined). */
export type ExecutionRunner = RunnerRecord | MissingRunner;

export const isMissingRunner = (runner: ExecutionRunner): runner is MissingRunner => "missing" in runner;

/**
 * How long the row of a runner that ended (or, killed, last beat) stays, unless a RUNNING
 * execution still names it; pruned when a runner registers. A week: long enough to name the
 * process behind an incident someone looks into after a weekend.
 */
export const RUNNER_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

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
 * alive: it has not ended, its heartbeat is recent and (same host) its pid exists; gone: it ended,
 * its pid is gone, (another host) its heartbeat is stale, or its row is missing; unknown: the execution names no runner
 * (written by an irflow before the record, or by a runner without a store), or on this host its
 * heartbeat is stale while its pid exists, so nothing can be said.
 */
export type Liveness = "alive" | "gone" | "unknown";

/**
 * The rule, pure. A runner is alive only when its heartbeat and (on this host) its pid agree. When
 * they disagree on this host (a stale heartbeat, the pid still there) it is either a live process
 * that stopped beating for a while (suspended, Ctrl-Z, a blocked event loop) or a dead one whose
 * pid was reused: unknown, so nothing is closed under a process that may still run (a responder
 * can still `--force`). Another host's pids mean nothing here, so there the heartbeat decides.
 */
export function runnerLiveness(runner: ExecutionRunner | undefined, vantage: Vantage): Liveness {
  if (runner === undefined) return "unknown";
  // Pruned only after a week without a beat nor a RUNNING execution naming it (a beat puts a live one's back): gone.
  if (isMissingRunner(runner) || runner.endedAt !== undefined) return "gone";
  const stale = vantage.nowMs - runner.heartbeatMs > (vantage.staleAfterMs ?? MISSED_BEATS * HEARTBEAT_INTERVAL_MS);
  if (runner.hostname !== vantage.hostname) return stale ? "gone" : "alive";
  if (!vantage.pidExists(runner.pid)) return "gone";
  return stale ? "unknown" : "alive";
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

/** Several runners described as one run's processes ("" for none). */
export const describeRunners = (runners: readonly RunnerRecord[]): string => runners.map(describeRunner).join("; ");
