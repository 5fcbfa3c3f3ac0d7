/**
 * Copies of values crossing the simulation's boundary: a task must never hold a reference into the
 * simulated state, and the call log must not change when a task later mutates its input.
 */
export function clonePlain<T>(value: T): T {
  return copy(value) as T;
}

function copy(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (value instanceof Date) return new Date(value.getTime());
  if (value instanceof Uint8Array) return value.slice();
  if (Array.isArray(value)) return value.map(copy);
  if (Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, copy(v)]));
  }
  // Streams and other live objects (a GetObject body) pass as they are.
  return value;
}

/** A JSON view of a call's input for the log: dates as ISO text, bytes by their length. */
export function toLogged(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return { bytes: value.byteLength };
  if (Array.isArray(value)) return value.map(toLogged);
  if (Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, toLogged(v)]));
  }
  return `[${value.constructor?.name ?? "object"}]`;
}

export type TagMap = Record<string, string>;

export const tagList = (tags: TagMap): { Key: string; Value: string }[] => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

/** SDK outputs leave Tags out when there are none. */
export const tagListOrAbsent = (tags: TagMap): { Tags?: { Key: string; Value: string }[] } => (Object.keys(tags).length > 0 ? { Tags: tagList(tags) } : {});
