/**
 * JSON with object keys sorted at every depth and no whitespace: the one byte string an entry's
 * hash is computed over, so a writer and a verifier years apart agree on it whatever order the
 * keys were built in. Only JSON values are accepted; anything JSON.stringify would silently drop
 * or change (undefined in arrays, NaN, functions) is refused, because a hash over a lossy
 * serialisation would prove something other than what is stored.
 */
export function canonicalJson(value: unknown): string {
  return write(value, "$");
}

function write(value: unknown, path: string): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
    case "boolean":
      return JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON: ${path} is ${value}, not a JSON number`);
      return JSON.stringify(value);
    case "object":
      if (Array.isArray(value)) return `[${value.map((item, index) => write(item, `${path}[${index}]`)).join(",")}]`;
      return `{${Object.keys(value)
        .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
        .sort()
        .map((key) => `${JSON.stringify(key)}:${write((value as Record<string, unknown>)[key], `${path}.${key}`)}`)
        .join(",")}}`;
    default:
      throw new TypeError(`canonical JSON: ${path} is a ${typeof value}, not a JSON value`);
  }
}
