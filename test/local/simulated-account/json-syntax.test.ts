import { describe, expect, it } from "vitest";
import { isJsonInput, jsonSyntaxError } from "../../../workflows/local/simulated-account/json-syntax.js";

describe("jsonSyntaxError", () => {
  it("accepts what JSON.parse accepts, a leading byte-order mark too", () => {
    for (const text of ['{"a": [1, -2.5e3, true, false, null, "x\\n\\u00e9"]}', "[]", " 7 ", '"s"', '\uFEFF{"a": 1}']) expect(jsonSyntaxError(text)).toBeUndefined();
  });

  it("places each kind of mistake at its line and column, in words that do not depend on the Node version", () => {
    const cases: [string, string, number, number][] = [
      ["", "expected a value, found the end of the file", 1, 1],
      ['{ "a": 1,\n', "expected a property name in double quotes, found the end of the file", 2, 1],
      ['{ "a": 1\n  "b": 2 }', `expected ',' between two items, found the string "b"`, 2, 3],
      ['{"a": [1, 2,]}', 'expected a value, found "]" (a trailing comma?)', 1, 13],
      ['{"a": 1,}', 'expected a property name in double quotes, found "}" (a trailing comma?)', 1, 9],
      ['{"a": tru }', "not a JSON value (strings and names take double quotes; true, false and null are lower case)", 1, 7],
      ["{'a': 1}", "not a JSON value (strings and names take double quotes; true, false and null are lower case)", 1, 2],
      ['{"a" 1}', `expected ':' after a property name, found "1"`, 1, 6],
      ['{"a": "open\n}', 'a string is not closed on its line (a " is missing, or a line break is inside it: write it as \\n)', 1, 7],
      ['{"a": "x\\q"}', "invalid escape in a string", 1, 7],
      ['{"a": "\u0001"}', "a control character inside a string (write it as \\n, \\t, …)", 1, 7],
      ['{"a": "never closed', 'a string is not closed on its line (a " is missing, or a line break is inside it: write it as \\n)', 1, 7],
      ['{"a": 1} {"b": 2}', "unexpected text after the end of the JSON value", 1, 10],
      ['{"a": 01}', `expected ',' between two items, found "1"`, 1, 8],
      ["[1 2]", `expected ',' between two items, found "2"`, 1, 4],
      ['{"a": 1 // why\n}', "comments are not JSON", 1, 9],
    ];
    for (const [text, message, line, column] of cases) expect(jsonSyntaxError(text), text).toEqual({ message, line, column });
  });
});

describe("isJsonInput", () => {
  it("goes by the file name, and by the first character when the name does not say", () => {
    expect(isJsonInput("event.JSON", "a: 1")).toBe(true);
    expect(isJsonInput("event.yaml", "{ a: 1 }")).toBe(false);
    expect(isJsonInput("event.yml", "[1]")).toBe(false);
    expect(isJsonInput("/dev/stdin", '  \n{ "a": 1')).toBe(true);
    expect(isJsonInput("event", "a: 1")).toBe(false);
  });
});
