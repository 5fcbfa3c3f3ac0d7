import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonPathShortcut, type JsonPathFunction } from "../../workflows/json-path-shortcut.js";

const require = createRequire(import.meta.url);
const original = (require("jsonpath-plus") as { JSONPath: JsonPathFunction & { toPathArray(path: string): string[] } }).JSONPath;
const shortcut = jsonPathShortcut(original);

/** Every query asl-validator 4 and asl-path-validator make, and the same shapes with other names. */
const PATHS = [
  "$..States",
  "$..['States']",
  "$..[StartAt,Next,Default]",
  "$..[Next,Default]",
  "$..Branches",
  "$..Iterator",
  "$..[Parameters,ResultSelector]",
  "$..[atmark,wildcard,negOffset,slice,recursiveDescent,multipleIndex,filter]",
  "$..[func]",
  "$..[var]",
  "$..length",
  "$..__proto__",
  "$.States",
  "$.Next",
  "$.Default",
  "$.ItemReader.ReaderConfig",
  "$.ItemBatcher",
  "$.a.length",
];

/** Same values (the very same objects), in the same order. */
function expectSameAnswer(path: string, json: unknown, wrap?: boolean): void {
  const options = wrap === undefined ? { path, json } : { path, json, wrap };
  const expected = original({ ...options });
  const actual = shortcut({ ...options });
  expect(actual).toStrictEqual(expected);
  if (Array.isArray(expected)) expected.forEach((value, i) => expect(Object.is((actual as unknown[])[i], value)).toBe(true));
  else expect(Object.is(actual, expected)).toBe(true);
}

function committedDefinitions(): unknown[] {
  const root = join(import.meta.dirname, "../../workflows/generated");
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((entry) => readdirSync(join(root, entry.name)).map((file) => JSON.parse(readFileSync(join(root, entry.name, file), "utf8")) as unknown));
}

/** A small seeded generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const KEYS = ["States", "StartAt", "Next", "Default", "Branches", "Iterator", "Parameters", "ResultSelector", "ItemReader", "ReaderConfig", "ItemBatcher", "func", "var", "length", "__proto__", "a", "Type"];

/** Documents full of the queried names at every depth, holding every kind of JSON value. */
function randomDocument(next: () => number, depth: number): unknown {
  const roll = next();
  if (depth <= 0 || roll < 0.25) {
    const scalars = [null, 0, 1, "", "Next", true, false, "States"];
    return scalars[Math.floor(next() * scalars.length)];
  }
  if (roll < 0.45) return Array.from({ length: Math.floor(next() * 4) }, () => randomDocument(next, depth - 1));
  // JSON.parse, as asl-validator's input is parsed: a "__proto__" key is then an own property.
  const entries = Array.from({ length: 1 + Math.floor(next() * 5) }, () => [KEYS[Math.floor(next() * KEYS.length)]!, randomDocument(next, depth - 1)] as const);
  return JSON.parse(`{${entries.map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value) ?? "null"}`).join(",")}}`) as unknown;
}

describe("the JSONPath shortcut for asl-validator's queries", () => {
  it("answers every query exactly as jsonpath-plus does on the committed definitions", () => {
    const definitions = committedDefinitions();
    expect(definitions.length).toBeGreaterThan(40);
    const batch = { StartAt: "All", States: { All: { Type: "Parallel", Branches: definitions, End: true } } };
    for (const json of [...definitions, batch]) {
      for (const path of PATHS) expectSameAnswer(path, json);
    }
  });

  it("answers exactly as jsonpath-plus does on 500 random documents, with and without wrap", { timeout: 30_000 }, () => {
    const next = random(20261124);
    for (let n = 0; n < 500; n++) {
      const json = randomDocument(next, 6);
      for (const path of PATHS) {
        expectSameAnswer(path, json);
        if (!path.startsWith("$..")) {
          expectSameAnswer(path, json, false);
          expectSameAnswer(path, json, true);
        }
      }
    }
  });

  it("answers nothing for a falsy document, as jsonpath-plus does, and handles scalar documents", () => {
    for (const json of [null, 0, "", false, undefined, 1, "States", true]) {
      for (const path of PATHS) {
        expectSameAnswer(path, json);
        if (!path.startsWith("$..")) expectSameAnswer(path, json, false);
      }
    }
    expect(shortcut({ path: "$..States", json: null })).toBeUndefined();
  });

  it("hands every other query, option or calling form to jsonpath-plus", () => {
    const json = { States: { A: { Type: "Pass", Next: "B" }, B: { Type: "Succeed" } }, StartAt: "A" };
    const others: unknown[][] = [
      [{ path: "$..Next", json, resultType: "path" }],
      [{ path: "$..Next", json, flatten: true }],
      [{ path: "$..Next", json, wrap: false }],
      [{ path: "$.States.*", json }],
      [{ path: "$..States[?(@.Type === 'Pass')]", json }],
      [{ path: "$..*", json }],
      [{ path: "$.States.A^", json }],
      [{ path: "$", json }],
      [{ path: "$..['Next','Default']", json }],
      ["$..Next", json],
    ];
    for (const args of others) expect(shortcut(...args)).toStrictEqual(original(...args));
    const seen: unknown[] = [];
    shortcut({ path: "$..Next", json, callback: (value: unknown) => seen.push(value) });
    expect(seen).toEqual(["B"]);
    expect(() => shortcut({ path: "$..[?(@.Type)]", json, eval: false })).toThrow(/Eval \[\?\(expr\)\] prevented/);
  });

  it("keeps jsonpath-plus's static helpers and its constructor form", () => {
    const wrapped = shortcut as JsonPathFunction & { toPathArray(path: string): string[] };
    expect(wrapped.toPathArray("$..[Next,Default]")).toEqual(["$", "..", "Next,Default"]);
    const Constructed = shortcut as unknown as new (options: object) => unknown;
    expect(new Constructed({ path: "$.a", json: { a: 1 } })).toEqual([1]);
  });
});
