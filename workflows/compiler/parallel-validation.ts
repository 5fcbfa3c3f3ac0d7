import { availableParallelism } from "node:os";
import { borrowThread, returnThread, type AslValidatorThread, type ThreadAnswer } from "./asl-validator-thread.js";
import { ASL_VALIDATOR_MODULE, combineMachines, explainErrors, explainMachineErrors, runAslValidator, type NamedMachine } from "./validate-asl.js";
import { ValidationCache } from "./validation-cache.js";

/** Below this many runbooks a thread costs more (start, warm-up, schema build) than it saves. */
export const MIN_RUNBOOKS_FOR_THREADS = 16;
/**
 * Runbooks per message to a thread. With the schemas compiled once per thread, asl-validator costs
 * little beyond the machine it checks, so a thread validates each machine on its own (measured
 * over 100 runbooks, 600 machines, on one thread: 170 ms CPU one by one, 250 in calls of a few
 * runbooks' machines combined, 370 all in one call); small batches let validation start with the
 * first runbooks.
 */
export const RUNBOOKS_PER_BATCH = 4;
const DEFAULT_TIMEOUT_MS = 120_000;
/** How long to sleep on one thread while another may answer first. */
const POLL_MS = 2;

export interface ParallelValidationOptions {
  /** How many runbooks will be added; small projects are validated on this thread. */
  readonly expectedRunbooks: number;
  /** Skips definitions it already accepted, and learns the ones accepted now. */
  readonly cache?: ValidationCache;
  /** Validator threads; by default one fewer than the cores (at most two), none for small projects. */
  readonly threads?: number;
  /** Runbooks per batch sent to a thread (RUNBOOKS_PER_BATCH unless a test says otherwise). */
  readonly runbooksPerBatch?: number;
  /** The module the threads load as asl-validator (tests substitute a broken one). */
  readonly validatorModule?: string;
  /** How long a thread may take over one batch before it is reported as failed. */
  readonly timeoutMs?: number;
}

export interface ParallelValidationResult {
  /** asl-validator's complaints about the definitions, each naming its machine. */
  readonly problems: readonly string[];
  /** Why some definitions could not be validated at all (a thread that failed). */
  readonly failures: readonly string[];
}

/** A fixed run of consecutive runbooks' uncached machines, sent to a thread in one message. */
interface Batch {
  readonly machines: NamedMachine[];
  /** Each machine's JSON.stringify text: its cache key's input, and what the thread gets. */
  readonly texts: string[];
  readonly keys: string[];
  runbooks: number;
  /** When it was sent. */
  sentAt?: number;
  problems?: string[];
  failure?: string;
}

/**
 * asl-validator over a project's machines in threads, fed while the runbooks still compile.
 * Machines are grouped by runbook count into batches, and each batch goes to the first idle
 * thread as soon as it is complete: validation runs alongside compilation from the first
 * runbooks on, and what is left when compilation ends is only the last batch. A thread checks
 * each machine on its own, as a whole definition (so its problems do not depend on the batch),
 * with every check asl-validator has. Without threads (a small project, one core) everything is
 * validated here at the end, in one call, as validateAsl does.
 */
export class ParallelValidation {
  private readonly batches: Batch[] = [];
  /** Index of the first batch not yet sent. */
  private unsent = 0;
  private readonly threadCount: number;
  private readonly perBatch: number;
  private threads: AslValidatorThread[] = [];
  private readonly inFlight = new Map<AslValidatorThread, Batch>();
  /** Why the last thread that failed did, for batches no thread is left to take. */
  private lastFailure = "";
  private finished = false;

  constructor(private readonly options: ParallelValidationOptions) {
    this.threadCount = options.threads ?? defaultThreads(options.expectedRunbooks);
    this.perBatch = Math.max(1, options.runbooksPerBatch ?? RUNBOOKS_PER_BATCH);
  }

  /** The machines of one more runbook. */
  add(machines: readonly NamedMachine[]): void {
    if (this.finished) throw new Error("validation already finished");
    let batch = this.batches.at(-1);
    if (!batch || batch.runbooks >= this.perBatch) this.batches.push((batch = { machines: [], texts: [], keys: [], runbooks: 0 }));
    // The text is only wanted for a cache key or a thread.
    const wantText = this.threadCount > 0 || this.options.cache !== undefined;
    for (const machine of machines) {
      const text = wantText ? JSON.stringify(machine.definition) : "";
      const key = this.options.cache ? ValidationCache.keyOfJson(text) : "";
      if (this.options.cache?.hasKey(key)) continue;
      batch.machines.push(machine);
      batch.texts.push(text);
      batch.keys.push(key);
    }
    batch.runbooks++;
    if (this.threadCount === 0) return;
    // Threads start with the first uncached machine (so they warm up while runbooks compile),
    // and none at all when everything is cached.
    if (this.threads.length === 0 && batch.machines.length > 0) this.startThreads();
    this.dispatch(false);
  }

  /** Waits for every batch's verdict (validating here when there are no threads) and hands the threads back. */
  finish(): ParallelValidationResult {
    if (this.finished) throw new Error("validation already finished");
    this.finished = true;
    try {
      if (this.threadCount === 0) return this.validateHere();
      for (;;) {
        this.dispatch(true);
        if (this.inFlight.size === 0) break;
        this.waitForAnswer();
      }
      // Batches left when every thread has failed fail for the same reason.
      for (const batch of this.batches.slice(this.unsent)) if (batch.machines.length > 0) batch.failure = this.lastFailure;
      this.unsent = this.batches.length;
      return { problems: this.batches.flatMap((batch) => batch.problems ?? []), failures: describeFailures(this.batches) };
    } finally {
      this.close();
    }
  }

  /** Hands the threads back (or stops them); finish does it, and a compile that throws half-way must too. */
  close(): void {
    this.finished = true;
    for (const thread of this.threads) returnThread(thread, this.threadCount);
    this.threads = [];
    this.inFlight.clear();
  }

  private validateHere(): ParallelValidationResult {
    const machines = this.batches.flatMap((batch) => batch.machines);
    if (machines.length === 0) return { problems: [], failures: [] };
    const batch = combineMachines(machines, { copy: true });
    const problems = explainErrors(batch, runAslValidator(batch.definition));
    if (problems.length === 0) this.options.cache?.rememberKeys(this.batches.flatMap((b) => b.keys));
    return { problems, failures: [] };
  }

  private startThreads(): void {
    const module = this.options.validatorModule ?? ASL_VALIDATOR_MODULE;
    this.threads = Array.from({ length: this.threadCount }, () => borrowThread(module));
  }

  /** Takes the answers that have come, and gives each idle thread the next complete batch. */
  private dispatch(finishing: boolean): void {
    for (const thread of this.inFlight.keys()) {
      const answer = thread.poll();
      if (answer) this.settle(thread, answer);
    }
    for (const thread of this.threads) {
      if (thread.busy || !thread.healthy) continue;
      const batch = this.nextBatch(finishing);
      if (!batch) return;
      batch.sentAt = Date.now();
      this.inFlight.set(thread, batch);
      thread.send(`[${batch.texts.join(",")}]`);
    }
  }

  /** The next batch with machines to validate, once no more runbooks can join it. */
  private nextBatch(finishing: boolean): Batch | undefined {
    while (this.unsent < this.batches.length) {
      const batch = this.batches[this.unsent]!;
      if (!finishing && batch.runbooks < this.perBatch) return undefined;
      this.unsent++;
      if (batch.machines.length > 0) return batch;
    }
    return undefined;
  }

  /** Blocks until a thread answers, or the batch sent longest ago has had its time. */
  private waitForAnswer(): void {
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const inFlight = [...this.inFlight];
    const [oldest, oldestBatch] = inFlight.reduce((a, b) => (b[1].sentAt! < a[1].sentAt! ? b : a));
    const left = oldestBatch.sentAt! + timeoutMs - Date.now();
    if (left <= 0) {
      this.settle(oldest, { failure: `the validator thread did not answer within ${timeoutMs} ms` });
      return;
    }
    // With one thread busy, sleep until it answers; with more, wake up now and then to look at the others.
    const answer = oldest.waitAtMost(inFlight.length === 1 ? left : Math.min(left, POLL_MS));
    if (answer) this.settle(oldest, answer);
  }

  private settle(thread: AslValidatorThread, answer: ThreadAnswer): void {
    const batch = this.inFlight.get(thread)!;
    this.inFlight.delete(thread);
    if ("failure" in answer || answer.verdicts.length !== batch.machines.length) {
      const failure = "failure" in answer ? answer.failure : `the validator thread answered ${answer.verdicts.length} verdicts for ${batch.machines.length} machines`;
      thread.healthy = false;
      batch.failure = failure;
      this.lastFailure = failure;
      return;
    }
    const { verdicts } = answer;
    batch.problems = batch.machines.flatMap((machine, i) => explainMachineErrors(machine.name, verdicts[i]!));
    // Each machine was validated on its own: the ones asl-validator accepted are remembered.
    this.options.cache?.rememberKeys(batch.keys.filter((_, i) => verdicts[i]!.length === 0));
  }
}

/**
 * One failure per run of consecutive batches that failed for the same reason (a broken install
 * fails every batch alike), naming the machines it covers.
 */
function describeFailures(batches: readonly Batch[]): string[] {
  const runs: { machines: NamedMachine[]; reason: string }[] = [];
  let previous: Batch | undefined;
  for (const batch of batches) {
    if (batch.machines.length === 0) continue;
    if (batch.failure === undefined) {
      previous = batch;
      continue;
    }
    const run = runs.at(-1);
    if (run && previous?.failure === batch.failure) run.machines.push(...batch.machines);
    else runs.push({ machines: [...batch.machines], reason: batch.failure });
    previous = batch;
  }
  return runs.map(({ machines, reason }) => `could not validate ${machines.length} machines (${machines[0]!.name} … ${machines.at(-1)!.name}): ${reason}`);
}

/** The validator threads a project of `expectedRunbooks` gets unless told otherwise. */
export function defaultThreads(expectedRunbooks: number): number {
  const cores = availableParallelism();
  // The main thread compiles: with two cores one thread validates beside it; with more, two at
  // most, since validation (250 ms CPU for 100 runbooks) is shorter than compilation.
  return expectedRunbooks >= MIN_RUNBOOKS_FOR_THREADS && cores > 1 ? Math.min(2, cores - 1) : 0;
}
