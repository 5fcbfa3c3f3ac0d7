import pc from "picocolors";
import { formatDiagnostic, sortDiagnostics, type Diagnostic } from "../workflows/diagnostics.js";

/** Exit codes scripts can rely on. */
export const EXIT = { ok: 0, problems: 1, usage: 2, internal: 3 } as const;

/** picocolors decides colour once: only on a TTY, never with NO_COLOR, always with FORCE_COLOR. */
export const paint = pc;

export function printDiagnostics(diagnostics: readonly Diagnostic[], write: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): void {
  for (const d of sortDiagnostics(diagnostics)) write(formatDiagnostic(d, pc));
}

export function summarise(diagnostics: readonly Diagnostic[]): string {
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.length - errors;
  const part = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  return `${part(errors, "error")}, ${part(warnings, "warning")}`;
}
