import { availableParallelism } from "node:os";
import { AslValidatorThread } from "./asl-validator-thread.js";
import { ASL_VALIDATOR_MODULE, combineMachines, explainErrors, runAslValidator, type AslBatch, type AslValidatorError, type NamedMachine } from "./validate-asl.js";
import { ValidationCache } from "./validation-cache.js";

/** Below this many runbooks a second thread costs more (start, warm-up, one more schema build) than it saves. */
export const MIN_RUNBOOKS_FOR_THREADS = 16;
const DEFAULT_TIMEOUT_MS = 120_000;

export interface ParallelValidationOptions {
  /** How many runbooks will be added: their machines are split between threads as they arrive. */
  readonly expectedRunbooks: number;
  /** Skips definitions it already accepted, and learns the ones accepted now. */
  readonly cache?: ValidationCache;
  /** Extra threads; by default one per spare core, none for small projects. */
  readonly threads?: number;
  /** The module the threads load as asl-validator (tests substitute a broken one). */
  readonly validatorModule?: string;
  /** How long to wait for a thread before reporting it as failed. */
  readonly timeoutMs?: number;
}

export interface ParallelValidationResult {
  /** asl-validator's complaints about the definitions, each naming its machine. */
  readonly problems: readonly string[];
  /** Why some definitions could not be validated at all (a thread that failed). */
  readonly failures: readonly string[];
}

interface Share {
  readonly machines: NamedMachine[];
  readonly keys: string[];
  thread?: AslValidatorThread;
  /** What the thread was sent, kept to name the machines its errors are about. */
  batch?: AslBatch;
}

/**
 * asl-validator over a project's machines on every core, fed while the runbooks still compile.
 * Its cost is one schema build per call plus JSONPath walks that grow with the definition, so each
 * thread gets one call with a contiguous share of the runbooks: the first shares go to threads as
 * soon as they are complete (overlapping the main thread's parsing), the last one is validated
 * here once the last runbook is added. Each share is checked exactly as validateAsl checks it.
 */
export class ParallelValidation {
  private readonly shares: Share[];
  private readonly boundaries: number[];
  private added = 0;
  private finished = false;

  constructor(private readonly options: ParallelValidationOptions) {
    const threads = options.threads ?? defaultThreads(options.expectedRunbooks);
    const participants = threads + 1;
    this.shares = Array.from({ length: participants }, () => ({ machines: [], keys: [] }));
    // Runbook counts after which each thread's share is complete; the main thread takes the rest.
    this.boundaries = Array.from({ length: threads }, (_, i) => Math.ceil(((i + 1) * options.expectedRunbooks) / participants));
  }

  /** The machines of one more runbook. */
  add(machines: readonly NamedMachine[]): void {
    if (this.finished) throw new Error("validation already finished");
    const share = this.shares[this.currentShare()]!;
    for (const machine of machines) {
      const key = this.options.cache ? ValidationCache.keyOf(machine.definition) : "";
      if (this.options.cache?.hasKey(key)) continue;
      share.machines.push(machine);
      share.keys.push(key);
      // Start the thread with its first uncached machine, so a fully cached compile starts none.
      if (share !== this.mainShare() && !share.thread) share.thread = new AslValidatorThread(this.options.validatorModule ?? ASL_VALIDATOR_MODULE);
    }
    this.added++;
    this.sendCompleteShares();
  }

  /** Validates what is left here, waits for the threads, and stops them. */
  finish(): ParallelValidationResult {
    if (this.finished) throw new Error("validation already finished");
    this.finished = true;
    try {
      for (const share of this.threadShares()) this.send(share);
      const problems: string[] = [];
      const failures: string[] = [];
      const main = this.mainShare();
      if (main.machines.length > 0) {
        const batch = combineMachines(main.machines, { copy: true });
        problems.push(...this.settle(main, batch, runAslValidator(batch.definition)));
      }
      const timeoutMs = this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      for (const share of this.threadShares()) {
        if (!share.thread || !share.batch) continue;
        const answer = share.thread.wait(timeoutMs);
        if ("failure" in answer) failures.push(`${describeShare(share)}: ${answer.failure}`);
        else problems.push(...this.settle(share, share.batch, answer.errors));
      }
      return { problems, failures };
    } finally {
      this.close();
    }
  }

  /** Stops the threads; finish does it, and a compile that throws half-way must too. */
  close(): void {
    this.finished = true;
    for (const share of this.shares) share.thread?.close();
  }

  private settle(share: Share, batch: AslBatch, errors: readonly AslValidatorError[]): string[] {
    const problems = explainErrors(batch, errors);
    if (problems.length === 0) this.options.cache?.rememberKeys(share.keys);
    return problems;
  }

  private sendCompleteShares(): void {
    this.threadShares().forEach((share, index) => {
      if (this.added >= this.boundaries[index]!) this.send(share);
    });
  }

  private send(share: Share): void {
    if (share.batch || !share.thread) return;
    // No copy: the thread gets the batch as text and validates its own parse of it.
    share.batch = combineMachines(share.machines, { copy: false });
    share.thread.send(JSON.stringify(share.batch.definition));
  }

  private currentShare(): number {
    const index = this.boundaries.findIndex((boundary) => this.added < boundary);
    return index === -1 ? this.shares.length - 1 : index;
  }

  private mainShare(): Share {
    return this.shares[this.shares.length - 1]!;
  }

  private threadShares(): Share[] {
    return this.shares.slice(0, -1);
  }
}

function defaultThreads(expectedRunbooks: number): number {
  return expectedRunbooks >= MIN_RUNBOOKS_FOR_THREADS ? Math.max(0, availableParallelism() - 1) : 0;
}

function describeShare(share: Share): string {
  const first = share.machines[0]?.name ?? "";
  const last = share.machines.at(-1)?.name ?? "";
  return `could not validate ${share.machines.length} machines (${first} … ${last})`;
}
