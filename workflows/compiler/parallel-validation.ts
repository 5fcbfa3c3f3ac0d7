import { availableParallelism } from "node:os";
import { borrowThread, returnThread, type AslValidatorThread } from "./asl-validator-thread.js";
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
  /** Validator threads; by default one per core (the main thread then only compiles), none for small projects. */
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
 * thread gets one call with a contiguous share of the runbooks, sent as soon as the share is
 * complete: the first shares are validated while the main thread still parses the next runbooks.
 * Each share is checked exactly as validateAsl checks it. Without threads (a small project, one
 * core) everything is validated here at the end, as validateAsl does.
 */
export class ParallelValidation {
  private readonly shares: Share[];
  /** Runbook counts after which each share is complete. */
  private readonly boundaries: number[];
  private readonly threads: number;
  private added = 0;
  private finished = false;

  constructor(private readonly options: ParallelValidationOptions) {
    this.threads = options.threads ?? defaultThreads(options.expectedRunbooks);
    const count = Math.max(1, this.threads);
    this.shares = Array.from({ length: count }, () => ({ machines: [], keys: [] }));
    this.boundaries = shareBoundaries(options.expectedRunbooks, count);
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
      // Every thread starts with the first uncached machine (so they warm up while runbooks
      // compile), and none at all when everything is cached.
      if (this.threads > 0 && !share.thread) this.startThreads();
    }
    this.added++;
    this.sendCompleteShares();
  }

  /** Waits for every share's verdict (validating here when there are no threads) and hands the threads back. */
  finish(): ParallelValidationResult {
    if (this.finished) throw new Error("validation already finished");
    this.finished = true;
    try {
      const problems: string[] = [];
      const failures: string[] = [];
      if (this.threads === 0) {
        const share = this.shares[0]!;
        if (share.machines.length > 0) {
          const batch = combineMachines(share.machines, { copy: true });
          problems.push(...this.settle(share, batch, runAslValidator(batch.definition)));
        }
        return { problems, failures };
      }
      for (const share of this.shares) this.send(share);
      const timeoutMs = this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      for (const share of this.shares) {
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

  /** Hands the threads back (or stops them); finish does it, and a compile that throws half-way must too. */
  close(): void {
    this.finished = true;
    for (const share of this.shares) {
      if (share.thread) returnThread(share.thread, this.threads);
      share.thread = undefined;
    }
  }

  private startThreads(): void {
    const module = this.options.validatorModule ?? ASL_VALIDATOR_MODULE;
    for (const share of this.shares) share.thread ??= borrowThread(module);
  }

  private settle(share: Share, batch: AslBatch, errors: readonly AslValidatorError[]): string[] {
    const problems = explainErrors(batch, errors);
    if (problems.length === 0) this.options.cache?.rememberKeys(share.keys);
    return problems;
  }

  private sendCompleteShares(): void {
    this.shares.forEach((share, index) => {
      if (this.added >= this.boundaries[index]!) this.send(share);
    });
  }

  private send(share: Share): void {
    if (share.batch || !share.thread || share.machines.length === 0) return;
    // No copy: the thread gets the batch as text and validates its own parse of it.
    share.batch = combineMachines(share.machines, { copy: false });
    share.thread.send(JSON.stringify(share.batch.definition));
  }

  private currentShare(): number {
    const index = this.boundaries.findIndex((boundary) => this.added < boundary);
    return index === -1 ? this.shares.length - 1 : index;
  }
}

/**
 * Runbook counts after which each share is complete. Earlier shares are larger, since their
 * threads start while the main thread still compiles (measured on 2 cores: 57/43 beats 50/50).
 */
export function shareBoundaries(runbooks: number, shares: number): number[] {
  const weights = Array.from({ length: shares }, (_, i) => (shares === 1 ? 1 : 1 + (0.3 * (shares - 1 - i)) / (shares - 1)));
  const total = weights.reduce((sum, w) => sum + w, 0);
  let sum = 0;
  return weights.map((weight, i) => (i === shares - 1 ? runbooks : Math.ceil(((sum += weight) / total) * runbooks)));
}

function defaultThreads(expectedRunbooks: number): number {
  const cores = availableParallelism();
  return expectedRunbooks >= MIN_RUNBOOKS_FOR_THREADS && cores > 1 ? cores : 0;
}

function describeShare(share: Share): string {
  const first = share.machines[0]?.name ?? "";
  const last = share.machines.at(-1)?.name ?? "";
  return `could not validate ${share.machines.length} machines (${first} … ${last})`;
}
