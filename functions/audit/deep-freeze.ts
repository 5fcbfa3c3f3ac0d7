/** Freezes a value and everything inside it: a body shared by every reader, which none can change. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object") freeze(value);
  return value;
}

// Called only for objects, and arrays walked by index: a body's many strings and numbers cost no
// call and no Object.values array each (every entry's body is frozen once it is kept).
function freeze(value: object): void {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (item !== null && typeof item === "object") freeze(item);
    }
  } else {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    for (let i = 0; i < keys.length; i++) {
      const item = record[keys[i]!];
      if (item !== null && typeof item === "object") freeze(item);
    }
  }
  Object.freeze(value);
}
