/** A problem found in a runbook, located precisely enough for an author to jump to it. */
export interface Diagnostic {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly severity: "error" | "warning";
  /** Stable, greppable identifier such as `unknown-task`; tests and docs key on it. */
  readonly code: string;
  readonly message: string;
  readonly hint?: string;
}

export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

/** Collects every problem of a file instead of stopping at the first one. */
export class DiagnosticBag {
  readonly items: Diagnostic[] = [];
  constructor(readonly file: string) {}

  error(at: SourcePosition, code: string, message: string, hint?: string): void {
    this.items.push({ file: this.file, line: at.line, column: at.column, severity: "error", code, message, ...(hint ? { hint } : {}) });
  }

  warning(at: SourcePosition, code: string, message: string, hint?: string): void {
    this.items.push({ file: this.file, line: at.line, column: at.column, severity: "warning", code, message, ...(hint ? { hint } : {}) });
  }

  get hasErrors(): boolean {
    return this.items.some((d) => d.severity === "error");
  }
}

export function sortDiagnostics(items: readonly Diagnostic[]): Diagnostic[] {
  return [...items].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || a.code.localeCompare(b.code));
}

/** `file:line:column: error[code]: message` — the shape editors and CI annotate. */
export function formatDiagnostic(d: Diagnostic, paint: { red: (s: string) => string; yellow: (s: string) => string; dim: (s: string) => string } = plain): string {
  const label = d.severity === "error" ? paint.red(`error[${d.code}]`) : paint.yellow(`warning[${d.code}]`);
  const head = `${d.file}:${d.line}:${d.column}: ${label}: ${d.message}`;
  return d.hint ? `${head}\n  ${paint.dim(`hint: ${d.hint}`)}` : head;
}

const identity = (s: string): string => s;
const plain = { red: identity, yellow: identity, dim: identity };

/** Thrown when a runbook cannot be compiled; carries every diagnostic of the file. */
export class RunbookError extends Error {
  override readonly name = "RunbookError";
  constructor(readonly diagnostics: readonly Diagnostic[]) {
    super(sortDiagnostics(diagnostics).map((d) => formatDiagnostic(d)).join("\n"));
  }
}

/** Levenshtein distance, for "did you mean …?" hints on unknown names. */
export function closest(name: string, candidates: Iterable<string>, maxDistance = 3): string | undefined {
  let best: string | undefined;
  let bestDistance = maxDistance + 1;
  for (const candidate of candidates) {
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}
