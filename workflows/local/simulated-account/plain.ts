/**
 * Copies of values crossing the simulation's boundary: a task must never hold a reference into the
 * simulated state, and the call log must not change when a task later mutates its input.
 */
export function clonePlain<T>(value: T): T {
  return copy(value) as T;
}

function copy(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(copy);
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype === Object.prototype || prototype === null) {
    // A loop, not Object.fromEntries(entries.map): every SDK call copies its input and output (hot).
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      const item = copy((value as Record<string, unknown>)[key]);
      // "__proto__" is rare enough to leave the common assignment without a call.
      if (key === "__proto__") setOwn(out, key, item);
      else out[key] = item;
    }
    return out;
  }
  if (value instanceof Date) return new Date(value.getTime());
  if (value instanceof Uint8Array) return value.slice();
  // Streams and other live objects (a GetObject body) pass as they are.
  return value;
}

/** An own property even for the key "__proto__" (which plain assignment would turn into a prototype). */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/** A JSON view of a call's input for the log: dates as ISO text, bytes by their length. */
export function toLogged(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return { bytes: value.byteLength };
  if (Array.isArray(value)) return value.map(toLogged);
  if (Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) setOwn(out, key, toLogged(v));
    }
    return out;
  }
  return `[${value.constructor?.name ?? "object"}]`;
}

export type TagMap = Record<string, string>;

export const tagList = (tags: TagMap): { Key: string; Value: string }[] => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

/** SDK outputs leave Tags out when there are none. */
export const tagListOrAbsent = (tags: TagMap): { Tags?: { Key: string; Value: string }[] } => (Object.keys(tags).length > 0 ? { Tags: tagList(tags) } : {});
