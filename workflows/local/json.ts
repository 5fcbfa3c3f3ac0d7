/** JSON as Step Functions and Lambda carry it between states. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * What a JSON round trip makes of a value, as Lambda does with a function's result: `undefined`
 * becomes null, Dates become strings, class instances plain objects. Throws on cycles and BigInt.
 */
export function toJson(value: unknown): JsonValue {
  const text = JSON.stringify(value);
  return text === undefined ? null : (JSON.parse(text) as JsonValue);
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
