import { hostname } from "node:os";
import { failedReasonOf, type AbortRequest, type AbortRequestStore } from "./abort-requests.js";

/** How often a running process looks for abort requests written by another one. */
export const DEFAULT_ABORT_POLL_MS = 50;

export interface AbortWatchOptions {
  readonly store: AbortRequestStore;
  /** Whether this process still runs an execution the request names (only then does it take it). */
  readonly serves: (request: AbortRequest) => boolean;
  /** Stops the request's executions; settles once their ends are stored. */
  readonly apply: (request: AbortRequest) => Promise<void>;
  readonly now?: () => Date;
  /**
   * Requests made before this are never read (default: when the watch is made). Wall-clock time,
   * not the injected clock: `irflow abort` stamps its requests with the wall clock.
   */
  readonly since?: Date;
  /** Default 50 ms; 0 turns the timer off (`poll` still looks). */
  readonly pollMs?: number;
  /** Recorded as who took a request; default this process (pid and host). */
  readonly takenBy?: string;
  /** Told when a look fails at the store; the watch then stops, as the approval desk's does. */
  readonly onError?: (error: unknown) => void;
  /** Told when a taken request could not be carried out; it is given back and the watch goes on. */
  readonly onApplyError?: (request: AbortRequest, error: unknown) => void;
}

/**
 * Watches the store for abort requests while this process runs incidents: a request naming one of
 * its executions is taken (once, whichever process looks first) and applied. Looks never overlap.
 */
export class AbortWatch {
  private timer: ReturnType<typeof setInterval> | undefined;
  private looking: Promise<void> | undefined;
  private readonly takenBy: string;
  private readonly since: string;
  /** Requests this watch failed to carry out: given back, and not tried again by it. */
  private readonly failed = new Set<string>();

  constructor(private readonly options: AbortWatchOptions) {
    this.takenBy = options.takenBy ?? `pid ${process.pid} on ${hostname()}`;
    this.since = (options.since ?? new Date()).toISOString();
  }

  /** Starts the timer; calling it again while it runs does nothing. */
  start(): void {
    const pollMs = this.options.pollMs ?? DEFAULT_ABORT_POLL_MS;
    if (this.timer || pollMs <= 0) return;
    this.timer = setInterval(() => {
      void this.poll().catch((error: unknown) => {
        this.stop();
        this.options.onError?.(error);
      });
    }, pollMs);
    // A watch alone must not keep the process alive: the runs it serves do.
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One look: takes and applies the requests this process serves. A call during a look shares it. */
  poll(): Promise<void> {
    this.looking ??= this.look().finally(() => {
      this.looking = undefined;
    });
    return this.looking;
  }

  private async look(): Promise<void> {
    const now = this.options.now ?? (() => new Date());
    for (const request of this.options.store.untaken(this.since)) {
      if (this.failed.has(request.id) || !this.options.serves(request)) continue;
      if (!this.options.store.take(request.id, now(), this.takenBy)) continue;
      try {
        await this.options.apply(request);
      } catch (error) {
        // Not consumed without being carried out: given back with why, which `irflow abort` reports
        // (a store error here stops the watch).
        this.failed.add(request.id);
        this.options.store.release(request.id, this.takenBy, { at: now(), reason: failedReasonOf(error) });
        this.options.onApplyError?.(request, error);
      }
    }
  }
}
