import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { HEARTBEAT_INTERVAL_MS, type RunnerRecord } from "./runner-liveness.js";
import { WRITE_LOCKED } from "./store/embedded-database.js";
import type { SqliteRunners } from "./store/sqlite-runners.js";

export interface RunnerHeartbeatOptions {
  /** Default `HEARTBEAT_INTERVAL_MS`. */
  readonly intervalMs?: number;
  /** Wall-clock milliseconds (not a run's injected clock: readers compare with their own wall clock). */
  readonly now?: () => number;
  readonly pid?: number;
  readonly hostname?: string;
  readonly runnerId?: string;
  /** Rows of runners that ended longer ago than this are pruned when this one registers; default `RUNNER_RETENTION_MS`. */
  readonly retentionMs?: number;
  /** Told when a beat fails at the store; beating stops (the record then goes stale: unknown on this host while the pid lives, gone elsewhere or once it is gone). */
  readonly onError?: (error: unknown) => void;
}

/** A fresh runner id, for a runner made before its record is registered. */
export const newRunnerId = (): string => `run-${randomUUID()}`;

/** How soon a beat that found the write lock held is tried again. */
const LOCKED_RETRY_MS = 25;

/**
 * This process's liveness record: registered when made, a heartbeat on a timer that never keeps
 * the process alive, and ended on `stop`. A process killed without `stop` leaves its record
 * behind, which readers judge by its pid and heartbeat.
 */
export class RunnerHeartbeat {
  /** Kept to put the row back should it be pruned while this process was suspended. */
  private readonly record: Omit<RunnerRecord, "endedAt" | "heartbeatMs">;
  private readonly startedMs: number;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private readonly now: () => number;
  private readonly intervalMs: number;

  private constructor(
    private readonly runners: SqliteRunners,
    private readonly options: RunnerHeartbeatOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.intervalMs = options.intervalMs ?? HEARTBEAT_INTERVAL_MS;
    this.startedMs = this.now();
    this.record = { runnerId: options.runnerId ?? newRunnerId(), pid: options.pid ?? process.pid, hostname: options.hostname ?? hostname(), startedAt: new Date(this.startedMs).toISOString() };
  }

  get runnerId(): string {
    return this.record.runnerId;
  }

  /** Registers the runner and starts beating. */
  static start(runners: SqliteRunners, options: RunnerHeartbeatOptions = {}): RunnerHeartbeat {
    const heartbeat = new RunnerHeartbeat(runners, options);
    runners.register({ ...heartbeat.record, heartbeatMs: heartbeat.startedMs }, options.retentionMs !== undefined ? { retentionMs: options.retentionMs } : {});
    heartbeat.schedule(heartbeat.intervalMs);
    return heartbeat;
  }

  /** One beat now; true when it landed, false when the write lock was held (the timer tries again soon). */
  beat(): boolean {
    return this.runners.beat(this.record, this.now()) !== WRITE_LOCKED;
  }

  /** Stops beating and records the end; the record then reads as gone at once. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.runners.end(this.runnerId, new Date(this.now()));
  }

  private schedule(delayMs: number): void {
    if (this.stopped || this.intervalMs <= 0) return;
    this.timer = setTimeout(() => {
      let landed: boolean;
      try {
        landed = this.beat();
      } catch (error) {
        this.options.onError?.(error);
        return;
      }
      this.schedule(landed ? this.intervalMs : LOCKED_RETRY_MS);
    }, delayMs);
    // The record must not keep the process alive: the runs it describes do.
    this.timer.unref();
  }
}
