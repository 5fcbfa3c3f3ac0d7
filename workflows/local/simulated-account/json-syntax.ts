/**
 * Where a JSON text stops being JSON. JSON.parse's own messages differ between Node versions and
 * often give no position (`Unexpected token ']', "…whole text…" is not valid JSON`), and YAML's
 * parser, which reads JSON too, accepts what JSON refuses (trailing commas, bare words) or words
 * the problem in YAML's terms; so a JSON file is checked by this small scanner instead.
 */

export interface JsonSyntaxError {
  /** 1-based, as editors count. */
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

const BOM = "\uFEFF";

/** A file read as JSON: named .json, or (not named .yaml/.yml) starting like a JSON object or array. */
export function isJsonInput(file: string, text: string): boolean {
  const name = file.toLowerCase();
  if (name.endsWith(".json")) return true;
  if (name.endsWith(".yaml") || name.endsWith(".yml")) return false;
  return /^\uFEFF?\s*[[{]/.test(text);
}

/** The first syntax error of `text` as JSON, or undefined when it is JSON. */
export function jsonSyntaxError(text: string): JsonSyntaxError | undefined {
  const start = text.startsWith(BOM) ? 1 : 0;
  try {
    JSON.parse(text.slice(start));
    return undefined;
  } catch {
    const stop = scan(text, start);
    const { line, column } = placeOf(text, stop?.offset ?? start);
    return { line, column, message: stop?.message ?? "not valid JSON" };
  }
}

/** Thrown inside the scanner only, to unwind its recursion at the first problem. */
class Stop extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES = new Set(['"', "\\", "/", "b", "f", "n", "r", "t"]);

/** Walks the text as the JSON grammar reads it; answers where and why it first fails. */
function scan(text: string, start: number): Stop | undefined {
  let i = start;
  const found = (): string => (i >= text.length ? "the end of the file" : `${JSON.stringify(text[i])}${text[i] === "'" ? " (JSON strings take double quotes)" : ""}`);
  const fail = (message: string, at = i): never => {
    throw new Stop(at, message);
  };
  const space = (): void => {
    while (i < text.length && " \t\n\r".includes(text[i]!)) i += 1;
  };
  const string = (): void => {
    const opening = i;
    i += 1;
    for (;;) {
      if (i >= text.length) fail("a string is not closed (a \" is missing)", opening);
      const c = text[i]!;
      if (c === '"') {
        i += 1;
        return;
      }
      if (c === "\\") {
        const next = text[i + 1];
        if (next === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 6;
        else if (next !== undefined && ESCAPES.has(next)) i += 2;
        else fail("invalid escape in a string");
        continue;
      }
      if (c < " ") fail("a line break or control character inside a string (write it as \\n, \\t, …)");
      i += 1;
    }
  };
  const value = (): void => {
    space();
    const c = text[i];
    if (c === "{") return object();
    if (c === "[") return array();
    if (c === '"') return string();
    for (const literal of ["true", "false", "null"]) {
      if (text.startsWith(literal, i)) {
        i += literal.length;
        return;
      }
    }
    NUMBER.lastIndex = i;
    if ((c === "-" || (c !== undefined && c >= "0" && c <= "9")) && NUMBER.test(text)) {
      i = NUMBER.lastIndex;
      return;
    }
    fail(`expected a value, found ${found()}`);
  };
  const object = (): void => {
    i += 1;
    space();
    if (text[i] === "}") {
      i += 1;
      return;
    }
    for (;;) {
      space();
      if (text[i] !== '"') fail(`expected a property name in double quotes, found ${found()}${text[i] === "}" ? " (a trailing comma?)" : ""}`);
      string();
      space();
      if (text[i] !== ":") fail(`expected ':' after a property name, found ${found()}`);
      i += 1;
      value();
      space();
      if (text[i] === ",") i += 1;
      else if (text[i] === "}") {
        i += 1;
        return;
      } else fail(`expected ',' or '}' after a property value, found ${found()}`);
    }
  };
  const array = (): void => {
    i += 1;
    space();
    if (text[i] === "]") {
      i += 1;
      return;
    }
    for (;;) {
      space();
      if (text[i] === "]") fail("expected a value, found \"]\" (a trailing comma?)");
      value();
      space();
      if (text[i] === ",") i += 1;
      else if (text[i] === "]") {
        i += 1;
        return;
      } else fail(`expected ',' or ']' after an array item, found ${found()}`);
    }
  };
  try {
    value();
    space();
    if (i < text.length) fail(`unexpected ${found()} after the end of the JSON value`);
    return undefined;
  } catch (error) {
    if (error instanceof Stop) return error;
    throw error;
  }
}

function placeOf(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf("\n") + 1;
  return { line: before.split("\n").length, column: offset - lineStart + 1 };
}
