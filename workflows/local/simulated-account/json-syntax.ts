import { parse, printParseErrorCode, type ParseError } from "jsonc-parser";

/**
 * Where a JSON text stops being JSON. JSON.parse decides whether it is; its messages differ between
 * Node versions and often give no position, and YAML's parser, which reads JSON too, accepts what
 * JSON refuses (trailing commas, bare words). So the place and kind of the first mistake come from
 * jsonc-parser held to strict JSON (no comments, no trailing commas), in words of our own.
 */

export interface JsonSyntaxError {
  /** 1-based, as editors count. */
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

const BOM = "\uFEFF";

const STRICT = { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false } as const;

// Keyed by jsonc-parser's names for its codes (its enum is const, so not reachable at run time).
const WORDS: Readonly<Record<string, string>> = {
  ValueExpected: "expected a value",
  PropertyNameExpected: "expected a property name in double quotes",
  ColonExpected: "expected ':' after a property name",
  CommaExpected: "expected ',' between two items",
  CloseBraceExpected: "expected '}' to close an object",
  CloseBracketExpected: "expected ']' to close an array",
  EndOfFileExpected: "unexpected text after the end of the JSON value",
  InvalidSymbol: "not a JSON value (strings and names take double quotes; true, false and null are lower case)",
  InvalidNumberFormat: "not a JSON number",
  UnexpectedEndOfNumber: "a number ends too early",
  UnexpectedEndOfString: 'a string is not closed on its line (a " is missing, or a line break is inside it: write it as \\n)',
  InvalidEscapeCharacter: "invalid escape in a string",
  InvalidUnicode: "invalid \\u escape in a string",
  InvalidCharacter: "a control character inside a string (write it as \\n, \\t, …)",
  InvalidCommentToken: "comments are not JSON",
  UnexpectedEndOfComment: "comments are not JSON",
};

/** Codes whose message names the token found there; the others describe the token already. */
const NAMES_FOUND = new Set(["ValueExpected", "PropertyNameExpected", "ColonExpected", "CommaExpected", "CloseBraceExpected", "CloseBracketExpected"]);

/** A file read as JSON: named .json, or (not named .yaml/.yml) starting like a JSON object or array. */
export function isJsonInput(file: string, text: string): boolean {
  const name = file.toLowerCase();
  if (name.endsWith(".json")) return true;
  if (name.endsWith(".yaml") || name.endsWith(".yml")) return false;
  return /^\uFEFF?\s*[[{]/.test(text);
}

/** The first syntax error of `text` as JSON, or undefined when it is JSON. */
export function jsonSyntaxError(text: string): JsonSyntaxError | undefined {
  const body = text.startsWith(BOM) ? text.slice(1) : text;
  try {
    JSON.parse(body);
    return undefined;
  } catch {
    const errors: ParseError[] = [];
    parse(body, errors, STRICT);
    const first = errors[0];
    // JSON.parse is the judge; should the locator find nothing, the mistake is still reported.
    if (!first) return { line: 1, column: 1, message: "not valid JSON" };
    const offset = first.offset + (body === text ? 0 : 1);
    return { ...placeOf(text, offset), message: describe(body, first) };
  }
}

function describe(body: string, error: ParseError): string {
  const code = printParseErrorCode(error.error);
  const words = WORDS[code] ?? "not valid JSON";
  if (!NAMES_FOUND.has(code)) return words;
  const token = body.slice(error.offset, error.offset + Math.max(1, Math.min(error.length, 40)));
  const found = error.offset >= body.length ? "the end of the file" : token.startsWith('"') ? `the string ${token}` : JSON.stringify(token);
  const trailingComma = (code === "ValueExpected" || code === "PropertyNameExpected") && /,\s*$/.test(body.slice(0, error.offset)) && /^[\]}]/.test(body.slice(error.offset));
  return `${words}, found ${found}${trailingComma ? " (a trailing comma?)" : ""}`;
}

function placeOf(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf("\n") + 1;
  return { line: before.split("\n").length, column: offset - lineStart + 1 };
}
