import type { Logger } from "../contract/task.js";

const SECRET_KEY = /token|secret|password|credential|authorization|signature/i;

/** Replaces the values of secret-looking fields, at any depth, before anything is logged. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([key, v]) => [key, SECRET_KEY.test(key) ? "[redacted]" : redact(v, depth + 1)]));
}

/** One JSON object per line, as CloudWatch Logs Insights reads it; secrets redacted. */
export function jsonLogger(base: Record<string, unknown>, write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Logger {
  const emit = (level: string, message: string, fields?: Record<string, unknown>) =>
    write(JSON.stringify({ level, message, time: new Date().toISOString(), ...(redact(base) as object), ...(redact(fields ?? {}) as object) }));
  return {
    info: (message, fields) => emit("info", message, fields),
    warn: (message, fields) => emit("warn", message, fields),
    error: (message, fields) => emit("error", message, fields),
  };
}
