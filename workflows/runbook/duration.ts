const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400 } as const;
const DURATION = /^(\d{1,6})\s*([smhd])$/;
/** A standard execution lives at most a year; so does anything a runbook waits for. */
export const MAX_DURATION_SECONDS = 365 * 86400;

/** Parses `90s`, `30m`, `4h`, `2d` into seconds; undefined when it is not a duration of up to a year. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS];
  return seconds > 0 && seconds <= MAX_DURATION_SECONDS ? seconds : undefined;
}
