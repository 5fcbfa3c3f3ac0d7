import { readFileSync } from "node:fs";

/** One benchmark figure, with the command that reproduces it. */
export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** The bar the issue sets, when there is one; `met` says whether the figure reaches it. */
  readonly target?: { readonly value: number; readonly comparison: "<=" | ">=" };
  readonly met?: boolean;
  readonly command: string;
  readonly note?: string;
}

export function figure(name: string, value: number, unit: string, command: string, target?: Figure["target"], note?: string): Figure {
  const met = target ? (target.comparison === "<=" ? value <= target.value : value >= target.value) : undefined;
  return { name, value: Math.round(value * 100) / 100, unit, command, ...(target ? { target, met } : {}), ...(note ? { note } : {}) };
}

/** Runs `work` `runs` times after `warmup` runs; returns the sorted durations in milliseconds. */
export function timeRuns(work: () => void, runs: number, warmup = 2): number[] {
  for (let i = 0; i < warmup; i++) work();
  const durations: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    work();
    durations.push(performance.now() - start);
  }
  return durations.sort((a, b) => a - b);
}

/** `timeRuns` for asynchronous work: each run awaited before the next starts. */
export async function timeRunsAsync(work: () => Promise<void>, runs: number, warmup = 2): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await work();
  const durations: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await work();
    durations.push(performance.now() - start);
  }
  return durations.sort((a, b) => a - b);
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

/**
 * CPU time (user + system, ms) of the calling thread alone, from Linux's /proc/thread-self/stat
 * (Node 20 has no per-thread `cpuUsage`); undefined where that file does not exist. 10 ms steps.
 */
export function threadCpuMs(): number | undefined {
  let stat: string;
  try {
    stat = readFileSync("/proc/thread-self/stat", "utf8");
  } catch {
    return undefined;
  }
  return cpuMsFromStat(stat);
}

/** utime + stime of a /proc/<pid>/task/<tid>/stat line, in ms (USER_HZ is 100 on Linux); undefined if the line is not one. */
export function cpuMsFromStat(stat: string): number | undefined {
  // The command name (field 2) may hold spaces and parentheses: fields are counted after its last ")".
  const close = stat.lastIndexOf(")");
  if (close < 0) return undefined;
  const fields = stat.slice(close + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]); // fields 14 and 15
  return fields.length > 12 && Number.isFinite(ticks) ? ticks * 10 : undefined;
}
