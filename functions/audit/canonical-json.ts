import { deepFreeze } from "./deep-freeze.js";

/**
 * JSON with object keys sorted at every depth and no whitespace: the one byte string an entry's
 * hash is computed over, so a writer and a verifier years apart agree on it whatever order the
 * keys were built in. Only JSON values are accepted; anything JSON.stringify would silently drop
 * or change (undefined in arrays, NaN, functions) is refused, because a hash over a lossy
 * serialisation would prove something other than what is stored. (Stricter than
 * `contract/digest.ts`'s, which only has to be stable for plans.)
 */
export function canonicalJson(value: unknown): string {
  // Plain data already in canonical order (every body read back from a store is): the engine's own
  // serialiser writes exactly these bytes, several times faster than building them by hand.
  if (plainJson(value, true)) return JSON.stringify(value);
  try {
    return write(value);
  } catch (error) {
    if (!(error instanceof NotJson)) throw error;
    // Rare: walk again, slowly, to name where the bad value is.
    throw new TypeError(`canonical JSON: ${locate(value, "$") ?? "$"} is ${error.message}`);
  }
}

/**
 * The canonical JSON of an object and a deep copy of it exactly as JSON.parse reads that text back
 * (keys sorted, undefined members dropped, -0 as 0), built in one walk and one JSON.stringify:
 * cheaper than writing the text by hand and parsing it again. What is not plain JSON data, or has
 * keys the engine would not keep in the order they are added (integer-like keys, "__proto__"),
 * takes that slow way instead. The copy is deep-frozen as it is built (a store shares it with every
 * reader), which saves freezing it in a second walk.
 */
export function canonicalForm(value: Readonly<Record<string, unknown>>): { readonly json: string; readonly copy: Readonly<Record<string, unknown>> } {
  const copy = sortedCopy(value);
  if (copy !== NOT_PLAIN) return { json: JSON.stringify(copy), copy: copy as Record<string, unknown> };
  const json = canonicalJson(value);
  return { json, copy: deepFreeze(JSON.parse(json) as Record<string, unknown>) };
}

const NOT_PLAIN = Symbol("not plain JSON data");

function sortedCopy(value: unknown): unknown {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      // -0 === 0: JSON has no negative zero, and parsing "0" gives 0.
      return Number.isFinite(value) ? (value === 0 ? 0 : value) : NOT_PLAIN;
    case "object":
      return value === null ? null : containerCopy(value);
    default:
      return NOT_PLAIN;
  }
}

// Strings, the most common values, are copied in the loops: no call for each.
function containerCopy(value: object): unknown {
  if ("toJSON" in value) return NOT_PLAIN;
  if (Array.isArray(value)) {
    const out: unknown[] = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const copied = typeof item === "string" ? item : sortedCopy(item);
      if (copied === NOT_PLAIN) return NOT_PLAIN;
      out[i] = copied;
    }
    return Object.freeze(out);
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return NOT_PLAIN;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  sortKeys(keys);
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const code = key.charCodeAt(0);
    // Integer-like keys are enumerated first whatever the insertion order; "__proto__" would set the prototype.
    if ((code >= 0x30 && code <= 0x39) || key === "__proto__") return NOT_PLAIN;
    const item = record[key];
    if (item === undefined) continue;
    const copied = typeof item === "string" ? item : sortedCopy(item);
    if (copied === NOT_PLAIN) return NOT_PLAIN;
    out[key] = copied;
  }
  return Object.freeze(out);
}

/**
 * Sorts in place as `keys.sort()` does (UTF-16 code unit order; own keys are distinct), by
 * insertion: an object's few keys, often already in order (every body read back), sort with no
 * allocation, where the built-in sort builds a work array per object.
 */
export function sortKeys(keys: string[]): string[] {
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!;
    if (keys[i - 1]! < key) continue;
    let j = i - 1;
    while (j >= 0 && keys[j]! > key) {
      keys[j + 1] = keys[j]!;
      j--;
    }
    keys[j + 1] = key;
  }
  return keys;
}

class NotJson extends Error {}

const problem = (value: unknown): string | undefined =>
  typeof value === "number" && !Number.isFinite(value) ? `${value}, not a JSON number` : value !== null && !["string", "boolean", "number", "object"].includes(typeof value) ? `a ${typeof value}, not a JSON value` : undefined;

function locate(value: unknown, path: string): string | undefined {
  if (problem(value)) return path;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = locate(value[i], `${path}[${i}]`);
      if (found) return found;
    }
  } else if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      if (item === undefined) continue;
      const found = locate(item, `${path}.${key}`);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Whether `value` is plain JSON data, which JSON.stringify writes without changing or dropping
 * anything but undefined object members: JSON leaves (finite numbers), arrays without holes or
 * undefined, plain objects (prototype Object.prototype or null, no `toJSON`, which JSON.stringify
 * would call). A JSON round trip of such a value is an identity, so it can be skipped.
 */
export const isJsonData = (value: unknown): boolean => plainJson(value, false);

/**
 * `isJsonData`, and with `sorted` also own keys already in sorted order at every depth: then
 * `JSON.stringify(value)` is byte-identical to `write(value)`. Sorted order also rules out
 * integer-like keys out of string order ("10" before "9"), which the engine always enumerates
 * numerically first. Allocates nothing but the key arrays.
 */
function plainJson(value: unknown, sorted: boolean): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(value);
    case "object": {
      if (value === null) return true;
      if ("toJSON" in value) return false;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (!plainJson(value[i], sorted)) return false;
        return true;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record);
      for (let i = 0; i < keys.length; i++) {
        if (sorted && i > 0 && !(keys[i - 1]! < keys[i]!)) return false;
        const item = record[keys[i]!];
        // An undefined member is dropped by both serialisers alike.
        if (item !== undefined && !plainJson(item, sorted)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

// Plain loops and concatenation: the fallback for values not already in canonical form.
function write(value: unknown): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
    case "boolean":
      return JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value)) throw new NotJson(problem(value));
      return JSON.stringify(value);
    case "object": {
      if (Array.isArray(value)) {
        let out = "[";
        for (let i = 0; i < value.length; i++) out += (i > 0 ? "," : "") + write(value[i]);
        return `${out}]`;
      }
      const record = value as Record<string, unknown>;
      const keys = sortKeys(Object.keys(record));
      let out = "{";
      let first = true;
      for (const key of keys) {
        const item = record[key];
        if (item === undefined) continue;
        out += `${first ? "" : ","}${JSON.stringify(key)}:${write(item)}`;
        first = false;
      }
      return `${out}}`;
    }
    default:
      throw new NotJson(problem(value));
  }
}
