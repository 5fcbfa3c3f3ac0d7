/** JSON as Step Functions and Lambda carry it between states. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The round trip itself, for what the walk leaves to JSON. */
function roundTrip(value: unknown): JsonValue {
  const text = JSON.stringify(value);
  return text === undefined ? null : (JSON.parse(text) as JsonValue);
}

/** Past this depth a copy falls back to the JSON round trip (deep documents, and cycles throw as JSON would). */
const COPY_DEPTH = 256;

/**
 * What a JSON round trip makes of a value (as Lambda does with a function's result: `undefined`
 * becomes null, Dates strings, class instances plain objects; cycles and BigInt throw), with
 * `replace` applied to every string value (keys stay). Plain objects and arrays, which is what flows
 * between states, are copied by a walk at a third of a round trip's cost; anything else (class
 * instances, Dates, `toJSON`, boxed values, non-finite numbers) goes through JSON itself. (Not
 * frozen: readers of the history, e.g. the incident runner, may still change what they are given.)
 */
export function jsonCopy(value: unknown, replace?: (text: string) => string): JsonValue {
  return copyValue(value, replace, 0) ?? null;
}

/** undefined where JSON drops the value (undefined, a function or a symbol). */
function copyValue(value: unknown, replace: ((text: string) => string) | undefined, depth: number): JsonValue | undefined {
  switch (typeof value) {
    case "string":
      return replace ? replace(value) : value;
    case "boolean":
      return value;
    case "number":
      return Number.isFinite(value) ? value : null;
    case "undefined":
    case "function":
    case "symbol":
      return undefined;
    case "bigint":
      return roundTrip(value);
  }
  if (value === null) return null;
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (depth > COPY_DEPTH || typeof (value as { toJSON?: unknown }).toJSON === "function" || (prototype !== Object.prototype && prototype !== null && prototype !== Array.prototype)) {
    return copyValue(roundTrip(value), replace, 0);
  }
  if (Array.isArray(value)) {
    const copy: JsonValue[] = new Array<JsonValue>(value.length);
    for (let index = 0; index < value.length; index++) copy[index] = copyValue(value[index], replace, depth + 1) ?? null;
    return copy;
  }
  const copy: JsonObject = {};
  for (const key of Object.keys(value as object)) {
    const item = copyValue((value as Record<string, unknown>)[key], replace, depth + 1);
    if (item === undefined) continue;
    // An own "__proto__" key (JSON.parse makes one) must stay a key, not become the prototype.
    if (key === "__proto__") Object.defineProperty(copy, key, { value: item, enumerable: true, writable: true, configurable: true });
    else copy[key] = item;
  }
  return copy;
}

/**
 * The JSON just made of an object, for the next serialiser of the same object in the same
 * synchronous run (a task's result is measured against the data cap, then recorded). Forgotten
 * once the run's microtasks start, and when taken: an object changed afterwards is serialised
 * afresh, never answered with stale JSON.
 */
let lastSerialised: { readonly value: object; readonly json: string } | undefined;

/** `JSON.stringify(value)`, kept for `takeSerialised` until the current synchronous run ends. */
export function serialiseForNow(value: unknown): string | undefined {
  const json = JSON.stringify(value);
  if (json === undefined || typeof value !== "object" || value === null) return json;
  const kept = { value, json };
  lastSerialised = kept;
  queueMicrotask(() => {
    if (lastSerialised === kept) lastSerialised = undefined;
  });
  return json;
}

/** The JSON `serialiseForNow` made of this very object in this synchronous run, if it was the last it made; forgotten either way. */
export function takeSerialised(value: unknown): string | undefined {
  const kept = lastSerialised;
  lastSerialised = undefined;
  return kept !== undefined && kept.value === value ? kept.json : undefined;
}

/** JSON with object keys sorted: equal documents give equal strings whatever their key order. */
export function canonicalJson(value: JsonValue): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isJsonObject(value)) return value;
  return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sortKeys(value[key]!)]));
}

/** Replaces `search` in every string of a document (keys stay), e.g. a token inside a `States.Format` result. */
export function replaceInStrings(value: JsonValue, search: string, replacement: string): JsonValue {
  if (typeof value === "string") return value.includes(search) ? value.split(search).join(replacement) : value;
  if (Array.isArray(value)) return value.map((item) => replaceInStrings(item, search, replacement));
  if (!isJsonObject(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, replaceInStrings(item, search, replacement)]));
}
