/** The nested JSON of a failed child execution's cause, down to the innermost message. */
export function explainCause(cause: string | undefined): string {
  let text = cause ?? "";
  for (let depth = 0; depth < 4; depth += 1) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === "object") {
        const o = parsed as Record<string, unknown>;
        const next = o.Cause ?? o.errorMessage;
        if (typeof next === "string") {
          text = next;
          continue;
        }
      }
    } catch {
      // plain text
    }
    break;
  }
  return text;
}

/** `1h 02m 03s`, `45s`, `120ms`: durations as responders read them. */
export function formatDuration(ms: number): string {
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const seconds = Math.round(ms / 1000);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, "0")}m ${String(s).padStart(2, "0")}s`;
  if (m > 0) return `${m}m ${String(s).padStart(2, "0")}s`;
  return `${s}s`;
}
