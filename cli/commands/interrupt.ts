/** The exit code of a process ended by a signal, as shells report it (128 + the signal's number). */
export const SIGNAL_EXIT_CODES = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 } as const;
export type StopSignal = keyof typeof SIGNAL_EXIT_CODES;

export interface Interrupt {
  /**
   * The signal the run ended by, once the stop has finished: only when the stop stopped executions
   * or the run ended aborted. A signal that came after the incident finished (while the run was
   * writing its last entries) stopped nothing: undefined, and the run ends as it ended.
   */
  endedBy(status: string): Promise<StopSignal | undefined>;
  /** Gives the signals back to Node's defaults. */
  dispose(): void;
}

export interface InterruptOptions {
  /** Stops the run: its executions aborted, their history and audit written; answers those it stopped. */
  readonly stop: (signal: StopSignal) => Promise<readonly unknown[]>;
  readonly notice: (line: string) => void;
  /** Ends the process at once (the second signal); `process.exit` by default. */
  readonly exit?: (code: number) => void;
  readonly target?: Pick<NodeJS.Process, "on" | "off">;
}

/**
 * Ctrl-C, SIGTERM or SIGHUP (the terminal closed, an SSH session dropped) while a run is under
 * way: the first stops the run cleanly (without this the process died and its executions stayed
 * RUNNING in the store for ever), a second ends the process at once for a responder who will not wait.
 */
export function onInterrupt(options: InterruptOptions): Interrupt {
  const target = options.target ?? process;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let signal: StopSignal | undefined;
  let stopped: Promise<void> | undefined;
  let stoppedCount = 0;
  const handle = (received: StopSignal) => {
    if (signal !== undefined) {
      options.notice(`${received} again: quitting now; executions still running stay RUNNING in the store`);
      exit(SIGNAL_EXIT_CODES[received]);
      return;
    }
    signal = received;
    options.notice(`${received}: stopping the run… (${received === "SIGINT" ? "Ctrl-C" : received} again quits at once)`);
    stopped = options.stop(received).then(
      (executions) => void (stoppedCount = executions.length),
      (error: unknown) => options.notice(`the run could not be stopped cleanly: ${error instanceof Error ? error.message : String(error)}`),
    );
  };
  const listeners = (Object.keys(SIGNAL_EXIT_CODES) as StopSignal[]).map((signal) => [signal, () => handle(signal)] as const);
  for (const [signal, listener] of listeners) target.on(signal, listener);
  return {
    async endedBy(status: string) {
      if (signal === undefined) return undefined;
      await stopped;
      return stoppedCount > 0 || status === "aborted" ? signal : undefined;
    },
    dispose() {
      for (const [signal, listener] of listeners) target.off(signal, listener);
    },
  };
}
