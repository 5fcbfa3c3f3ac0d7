import { hostname } from "node:os";
import type { AbortRequest, AbortRequestStore } from "./abort-requests.js";

/** How often a running process looks for abort requests written by another one. */
export const DEFAULT_ABORT_POLL_MS = 50;

export interface AbortWatchOptions {
  readonly store: AbortRequestStore;
  /** Whether this process runs any execution the request names (only then does it take it). */
  readonly serves: (request: AbortRequest) => boolean;
  /** Stops the request's executions; settles once their ends are stored. */
  readonly apply: (request: AbortRequest) => Promise<void>;
  readonly now?: () => Date;
  /** Default 50 ms; 0 turns the timer off (`poll` still looks). */
  readonly pollMs?: number;
  /** Recorded as who took a request; default this process (pid and host). */
  readonly takenBy?: string;
  /** Told when a look fails; the watch then stops, as the approval desk's does. */
  readonly onError?: (error: unknown) => void;
}

/**
 * Watches the store for abort requests while this process runs incidents: a request naming one of
 * its executions is taken (once, whichever process looks first) and applied. Looks never overlap.
 */
export class AbortWatch {
  private timer: ReturnType<typeof setInterval> | undefined;
  private looking: Promise<void> | undefined;
  private readonly takenBy: string;

  constructor(private readonly options: AbortWatchOptions) {
    this.takenBy = options.takenBy ?? `pid ${process.pid} on ${hostname()}`;
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
    for (const request of this.options.store.untaken()) {
      if (!this.options.serves(request)) continue;
      if (!this.options.store.take(request.id, now(), this.takenBy)) continue;
      await this.options.apply(request);
    }
  }
}
