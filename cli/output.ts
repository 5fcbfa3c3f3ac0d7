import pc from "picocolors";
import { formatDiagnostic, sortDiagnostics, type Diagnostic } from "../workflows/diagnostics.js";

/** Exit codes scripts can rely on. */
export const EXIT = { ok: 0, problems: 1, usage: 2, internal: 3 } as const;

/**
 * Colour only where a person reads it: on a TTY (not a dumb one), never with NO_COLOR or
 * --no-color, always with FORCE_COLOR or --color. picocolors' own rule also colours whenever `CI`
 * is set, which put escape codes into CI logs and piped output.
 */
export function colourWanted(env: NodeJS.ProcessEnv = process.env, argv: readonly string[] = process.argv, stdoutIsTty = process.stdout.isTTY === true): boolean {
  if (env.NO_COLOR || argv.includes("--no-color")) return false;
  return Boolean(env.FORCE_COLOR) || argv.includes("--color") || (stdoutIsTty && env.TERM !== "dumb");
}

/** Decided once, at start. */
export const paint = pc.createColors(colourWanted());

export function printDiagnostics(diagnostics: readonly Diagnostic[], write: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): void {
  for (const d of sortDiagnostics(diagnostics)) write(formatDiagnostic(d, paint));
}

export function summarise(diagnostics: readonly Diagnostic[]): string {
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.length - errors;
  const part = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  return `${part(errors, "error")}, ${part(warnings, "warning")}`;
}
