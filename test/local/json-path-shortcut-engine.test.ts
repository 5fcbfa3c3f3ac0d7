import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { jsonPathShortcut, type JsonPathFunction } from "../../workflows/json-path-shortcut.js";
import { ExecutionError, LibraryStateMachine, type LibraryDefinition } from "../../workflows/local/step-functions-library.js";

type JsonPathPlus = JsonPathFunction & { toPathArray(path: string): string[]; prototype: { evaluate: (...args: unknown[]) => unknown } };

const requireHere = createRequire(import.meta.url);
/** jsonpath-plus's CommonJS exports object, as the library's CommonJS build resolves it. */
const libraryJsonPath = createRequire(requireHere.resolve("aws-local-stepfunctions"))("jsonpath-plus") as { JSONPath: JsonPathPlus };
/** The jsonpath-plus function underneath the installed shortcut (the shared prototype leads to it). */
const original = libraryJsonPath.JSONPath.prototype.constructor as JsonPathPlus;

/** jsonpath-plus behind a call counter: a query the shortcut answers never reaches it. */
function countingOriginal(): { counted: JsonPathFunction; calls: () => number } {
  let calls = 0;
  const counted = function (this: unknown, ...args: unknown[]): unknown {
    calls += 1;
    return original.apply(this, args);
  } as JsonPathFunction & Record<string, unknown>;
  for (const key of Object.keys(original)) counted[key] = (original as unknown as Record<string, unknown>)[key];
  counted.prototype = original.prototype;
  return { counted, calls: () => calls };
}

const { counted, calls } = countingOriginal();
const shortcut = jsonPathShortcut(counted);

type Outcome = { threw: false; value: unknown } | { threw: true; error: string };

function outcome(query: () => unknown): Outcome {
  try {
    return { threw: false, value: query() };
  } catch (error) {
    return { threw: true, error: String(error) };
  }
}

/** Same answer (the very same values, in the same order, or the same error) from jsonpath-plus and the shortcut. */
function expectSameAnswer(path: string, json: unknown): void {
  for (const wrap of [false, true, undefined]) {
    const options = wrap === undefined ? { path, json } : { path, json, wrap };
    const expected = outcome(() => original({ ...options }));
    const actual = outcome(() => shortcut({ ...options }));
    expect(actual, `${path} wrap ${String(wrap)} on ${JSON.stringify(json)}`).toStrictEqual(expected);
    if (actual.threw || expected.threw) continue;
    if (Array.isArray(expected.value)) expected.value.forEach((value, i) => expect(Object.is((actual.value as unknown[])[i], value)).toBe(true));
    else expect(Object.is(actual.value, expected.value)).toBe(true);
  }
}

function committedDefinitions(): unknown[] {
  const root = join(import.meta.dirname, "../../workflows/generated");
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((entry) =>
      readdirSync(join(root, entry.name))
        .filter((file) => file.endsWith(".asl.json"))
        .map((file) => JSON.parse(readFileSync(join(root, entry.name, file), "utf8")) as unknown),
    );
}

/** A path's arguments in an intrinsic call, outside its quoted strings. */
function intrinsicPaths(call: string): string[] {
  return call.replace(/'(?:\\.|[^'\\])*'/g, "''").match(/\$\$?[^\s,()']*/g) ?? [];
}

/**
 * Every path expression the committed machines hold, as the library hands it to jsonpath-plus:
 * `$$.x` is read as `$.x` of the context object.
 */
function committedPaths(): string[] {
  const found = new Set<string>();
  const visit = (value: unknown): void => {
    if (typeof value === "string") {
      // "${Task:…}" and "${Machine:…}" are resource placeholders, not paths.
      if (value.startsWith("$") && !value.startsWith("${")) found.add(value);
      else if (/^States\.[A-Za-z]+\(/.test(value)) intrinsicPaths(value).forEach((path) => found.add(path));
    } else if (Array.isArray(value)) value.forEach(visit);
    else if (value !== null && typeof value === "object") Object.values(value).forEach(visit);
  };
  committedDefinitions().forEach(visit);
  return [...found].map((path) => (path.startsWith("$$") ? path.slice(1) : path)).sort();
}

const SPECIAL_KEYS = ["0", "1", "constructor", "__proto__", "length", "toString", "a", "b"];
const scalar = fc.oneof(fc.constantFrom(null, 0, "", false, true, 1, -1, "text", "0"), fc.integer(), fc.string({ maxLength: 4 }));
const falsy = fc.constantFrom(null, 0, "", false, undefined);

/** Objects built from entries, so "__proto__" is an own key (as JSON.parse makes it). */
function objectOf(entries: ReadonlyArray<readonly [string, unknown]>): Record<string, unknown> {
  return Object.fromEntries(entries);
}

/** Any JSON document whose keys come from `keys`. */
function documentOver(keys: readonly string[]): fc.Arbitrary<unknown> {
  const key = fc.constantFrom(...keys);
  return fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      scalar,
      fc.array(tie("value"), { maxLength: 3 }),
      fc.array(fc.tuple(key, tie("value")), { maxLength: 4 }).map(objectOf),
    ),
  })).value;
}

/**
 * Documents along a path's names, so that it resolves often and fails at every depth: each level
 * holds the next name (an array for an index) among other keys, or is a scalar, falsy or empty.
 */
function documentAlong(names: readonly string[], keys: readonly string[]): fc.Arbitrary<unknown> {
  const other = documentOver(keys);
  if (names.length === 0) return other;
  const [head, ...rest] = names as [string, ...string[]];
  const child = documentAlong(rest, keys);
  const container = /^[0-9]+$/.test(head)
    ? fc.tuple(fc.array(other, { maxLength: 3 }), child, fc.boolean()).map(([items, next, asObject]) => {
        const index = Number(head);
        const array = Array.from({ length: Math.max(items.length, index + 1) }, (_, i) => (i < items.length ? items[i] : null));
        array[index] = next;
        return asObject ? objectOf(array.map((item, i) => [String(i), item] as const)) : array;
      })
    : fc.tuple(fc.array(fc.tuple(fc.constantFrom(...keys), other), { maxLength: 3 }), child).map(([entries, next]) => objectOf([...entries, [head, next]]));
  return fc.oneof({ weight: 8, arbitrary: container }, { weight: 1, arbitrary: scalar }, { weight: 1, arbitrary: falsy }, { weight: 1, arbitrary: fc.constantFrom([], {}) });
}

const PATHS = committedPaths();
const NAMES = [...new Set(PATHS.flatMap((path) => original.toPathArray(path).slice(1)))];
const KEYS = [...new Set([...NAMES, ...SPECIAL_KEYS])];

/** Random paths: the shapes the shortcut answers, and operators it must leave to jsonpath-plus. */
const segment = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...KEYS.filter((key) => /^[A-Za-z_]/.test(key))).map((name) => `.${name}`) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 3 }).map((index) => `[${index}]`) },
  { weight: 2, arbitrary: fc.constantFrom(...KEYS).map((name) => `['${name}']`) },
  { weight: 1, arbitrary: fc.constantFrom(".*", "[*]", "[0:2]", "[-1:]", "[0,1]", "..a", "..length", "[a,b]", ".`a", "~", "^") },
);
const randomPath = fc.array(segment, { maxLength: 4 }).map((segments) => `$${segments.join("")}`);

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the JSONPath shortcut on the paths the local engine evaluates", () => {
  it("finds every kind of path the committed machines use", () => {
    expect(PATHS.length).toBeGreaterThan(100);
    expect(PATHS).toContain("$");
    expect(PATHS).toContain("$.Execution.Id");
    expect(PATHS.some((path) => /\[0\]$/.test(path))).toBe(true);
  });

  it("answers every committed path itself, never through jsonpath-plus", () => {
    const before = calls();
    for (const path of PATHS) {
      shortcut({ path, json: { a: 1 }, wrap: false });
      shortcut({ path, json: { a: 1 }, wrap: true });
    }
    expect(calls() - before).toBe(0);
  });

  it("answers every committed path as jsonpath-plus does, on documents along it and on any document", { timeout: 60_000 }, () => {
    let runs = 0;
    let resolved = 0;
    for (const path of PATHS) {
      const names = original.toPathArray(path).slice(1);
      fc.assert(
        fc.property(documentAlong(names, KEYS), (json) => {
          expectSameAnswer(path, json);
          runs += 1;
          if (original({ path, json, wrap: false }) !== undefined) resolved += 1;
        }),
        { numRuns: 25, seed: 20261124 },
      );
    }
    // The documents along a path exercise both outcomes: found (any value) and missing.
    expect(resolved / runs).toBeGreaterThan(0.3);
    expect(resolved / runs).toBeLessThan(0.9);
    fc.assert(
      fc.property(documentOver(KEYS), fc.constantFrom(...PATHS), (json, path) => expectSameAnswer(path, json)),
      { numRuns: 500, seed: 20261124 },
    );
  });

  it("answers random paths as jsonpath-plus does, and itself whenever they are plain reads", { timeout: 60_000 }, () => {
    fc.assert(
      fc.property(randomPath, documentOver(KEYS), (path, json) => {
        expectSameAnswer(path, json);
        const plain = original.toPathArray(path).slice(1).every((name) => /^(?:[A-Za-z_][A-Za-z0-9_]*|[0-9]+)$/.test(name));
        const before = calls();
        outcome(() => shortcut({ path, json, wrap: false }));
        if (plain) expect(calls() - before, path).toBe(0);
      }),
      { numRuns: 2000, seed: 20261124 },
    );
  });

  it("answers falsy, scalar and array documents, and inherited or awkward keys, as jsonpath-plus does", () => {
    const paths = ["$", "$.a", "$.a.b", "$[0]", "$.a[0]", "$.a[1].b", "$.length", "$.a.length", "$.constructor", "$.__proto__", "$.toString", "$['0']", "$[00]", "$.0"];
    const documents = [
      null,
      0,
      "",
      false,
      undefined,
      1,
      "text",
      true,
      [],
      {},
      [1, [2, 3]],
      { a: [{ b: 0 }, { b: null }, { b: false }] },
      { a: "text" },
      { a: [] },
      JSON.parse('{"__proto__": {"b": 1}, "constructor": 2, "0": "zero", "length": 3}') as unknown,
      JSON.parse('{"a": {"__proto__": [5], "length": null}}') as unknown,
      { a: { 0: "key zero", 1: { b: "one" } } },
    ];
    for (const path of paths) for (const json of documents) expectSameAnswer(path, json);
    expect(shortcut({ path: "$.a", json: {}, wrap: false })).toBeUndefined();
    expect(shortcut({ path: "$.a.b", json: { a: { b: false } }, wrap: false })).toBe(false);
  });

  it("leaves wrapping once: a wrapper wrapped again is itself", () => {
    expect(jsonPathShortcut(shortcut)).toBe(shortcut);
  });
});

describe("the library the local engine loads", () => {
  it("reads jsonpath-plus through the shortcut", () => {
    expect((libraryJsonPath.JSONPath as unknown as Record<symbol, unknown>)[Symbol.for("irflow.jsonPathShortcut")]).toBe(true);
    expect(original).not.toBe(libraryJsonPath.JSONPath);
  });

  it("evaluates InputPath, Parameters, Choice, ResultSelector, ResultPath and context paths without jsonpath-plus", async () => {
    const evaluate = vi.spyOn(original.prototype, "evaluate");
    const definition = {
      StartAt: "Pick",
      States: {
        Pick: { Type: "Pass", InputPath: "$.detail", Parameters: { "first.$": "$.items[0]", "id.$": "$$.Execution.Id", "all.$": "$", "count.$": "$.items.length" }, Next: "Route" },
        Route: { Type: "Choice", Choices: [{ Variable: "$.first.flag", BooleanEquals: true, Next: "Work" }], Default: "Other" },
        Work: { Type: "Task", Resource: "arn:aws:states:::lambda:invoke", ResultSelector: { "done.$": "$.done" }, ResultPath: "$.result", Next: "Shape" },
        Shape: { Type: "Pass", Parameters: { "id.$": "$.id", "done.$": "$.result.done", "name.$": "$.first.name" }, End: true },
        Other: { Type: "Fail", Error: "Other" },
      },
    } as unknown as LibraryDefinition;
    const machine = new LibraryStateMachine(definition, { validationOptions: { noValidate: true } });
    const run = machine.run(
      { detail: { items: [{ flag: true, name: "first" }, { flag: false }] } },
      { overrides: { taskResourceLocalHandlers: { Work: () => ({ done: 1 }) } }, context: { Execution: { Id: "arn:execution" } } },
    );
    await expect(run.result).resolves.toEqual({ id: "arn:execution", done: 1, name: "first" });
    expect(evaluate).not.toHaveBeenCalled();
  });

  it("still hands other queries to jsonpath-plus, and still fails a path that points to nothing", async () => {
    const evaluate = vi.spyOn(original.prototype, "evaluate");
    const definition = {
      StartAt: "Names",
      States: {
        Names: { Type: "Pass", Parameters: { "names.$": "$.items[*].name" }, Next: "Missing" },
        Missing: { Type: "Pass", InputPath: "$.nothing.here", End: true },
      },
    } as unknown as LibraryDefinition;
    const machine = new LibraryStateMachine(definition, { validationOptions: { noValidate: true } });
    const failure = await machine.run({ items: [{ name: "a" }, { name: "b" }] }).result.catch((error: unknown) => error);
    expect(evaluate).toHaveBeenCalled();
    expect(failure).toBeInstanceOf(ExecutionError);
    expect((failure as InstanceType<typeof ExecutionError>).message).toMatch(/\$\.nothing\.here/);
  });
});
