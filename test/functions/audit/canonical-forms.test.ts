import { describe, expect, it } from "vitest";
import { canonicalForm, canonicalJson } from "../../../functions/audit/canonical-json.js";
import { isCanonicalObjectText } from "../../../functions/audit/canonical-text.js";

/** The definition canonicalJson must meet, written the slow obvious way (sorted keys, no whitespace). */
function reference(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(reference).join(",")}]`;
  const record = value as Record<string, unknown>;
  const members = Object.keys(record)
    .sort()
    .filter((key) => record[key] !== undefined)
    .map((key) => `${JSON.stringify(key)}:${reference(record[key])}`);
  return `{${members.join(",")}}`;
}

/** A small deterministic generator (no Math.random: a failure must replay). */
function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const ALPHABET = ['a', 'b', 'z', 'A', '0', '9', '10', '2', '_', '"', "\\", "\n", "\t", "\u0001", "\u007f", "é", "\u2028", "😀", "\ud800", "/", " ", "__proto__", "toJSON", ""];

function randomValue(next: () => number, depth: number): unknown {
  const pick = <T,>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const text = () => Array.from({ length: Math.floor(next() * 4) }, () => pick(ALPHABET)).join("");
  const roll = next();
  if (depth > 3 || roll < 0.35) return pick<unknown>([null, true, false, 0, -0, 1, -17, 0.5, 1e21, 1e-7, 123456789.125, 2 ** 53, text(), text()]);
  if (roll < 0.55) return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(next, depth + 1));
  const object: Record<string, unknown> = {};
  for (let i = Math.floor(next() * 5); i > 0; i--) Object.defineProperty(object, text(), { value: randomValue(next, depth + 1), enumerable: true, writable: true, configurable: true });
  return object;
}

describe("canonicalJson: the fast path writes the same bytes as the definition", () => {
  it.each([
    ["keys already sorted", { a: 1, b: { c: [1, "x", null], d: true } }],
    ["keys out of order at depth", { b: 1, a: { d: 2, c: 3 } }],
    ["integer-like keys, which the engine enumerates numerically", { "10": 1, "9": 2, a: 3 }],
    ["a null-prototype object", Object.assign(Object.create(null) as object, { b: 1, a: 2 })],
    ["undefined members are dropped", { a: undefined, b: [1, 2] }],
    ["negative zero", { a: -0 }],
    ["escapes and non-ASCII", { "é": "\u2028\u0001\"\\😀\ud800" }],
  ])("%s", (_name, value) => {
    expect(canonicalJson(value)).toBe(reference(value));
  });

  it("objects JSON.stringify would serialise differently keep the by-hand form", () => {
    // A Date, a boxed string and a class instance are not plain data; their own keys are what is hashed, as before.
    expect(canonicalJson({ at: new Date(0) })).toBe('{"at":{}}');
    expect(canonicalJson({ s: Object("ab") as unknown })).toBe('{"s":{"0":"a","1":"b"}}');
    class Point {
      constructor(
        readonly y: number,
        readonly x: number,
      ) {}
    }
    expect(canonicalJson(new Point(2, 1))).toBe('{"x":1,"y":2}');
    expect(canonicalJson({ b: Buffer.from("hi") })).toBe('{"b":{"0":104,"1":105}}');
  });

  it("still refuses what JSON cannot hold, wherever it hides", () => {
    expect(() => canonicalJson({ a: [1, undefined] })).toThrow("$.a[1]");
    expect(() => canonicalJson({ a: { b: Number.POSITIVE_INFINITY } })).toThrow("$.a.b");
    // eslint-disable-next-line no-sparse-arrays
    expect(() => canonicalJson([1, , 3])).toThrow("$[1]");
    expect(() => canonicalJson({ n: 1n })).toThrow("$.n is a bigint");
    expect(() => canonicalJson({ toJSON: () => "x" })).toThrow("$.toJSON is a function");
  });

  it("agrees with the definition on 2,000 generated values", () => {
    const next = rng(6);
    for (let i = 0; i < 2000; i++) {
      const value = randomValue(next, 0);
      expect(canonicalJson(value)).toBe(reference(value));
    }
  });
});

describe("canonicalForm: the text and the copy a reader would parse from it, in one walk", () => {
  it("gives canonicalJson's text and a copy equal to parsing it back, on 2,000 generated objects", () => {
    const next = rng(7);
    for (let i = 0; i < 2000; i++) {
      const value = { a: randomValue(next, 1), [String(i % 3 === 0 ? "10" : "k")]: randomValue(next, 1), z: -0 };
      const { json, copy } = canonicalForm(value);
      expect(json).toBe(canonicalJson(value));
      expect(Object.is((copy as { z: number }).z, 0)).toBe(true);
      expect(JSON.stringify(copy)).toBe(JSON.stringify(JSON.parse(json)));
      expect(copy).toStrictEqual(JSON.parse(json));
    }
  });

  it("copies: changing the original afterwards changes neither", () => {
    const original = { list: [{ b: 1, a: 2 }], d: { n: 1 } };
    const { json, copy } = canonicalForm(original);
    original.list[0]!.a = 3;
    original.d.n = 2;
    expect(json).toBe('{"d":{"n":1},"list":[{"a":2,"b":1}]}');
    expect(copy).toEqual({ d: { n: 1 }, list: [{ a: 2, b: 1 }] });
  });

  it("a Date or a \"__proto__\" key takes the slow way, with the same result as before", () => {
    const withDate = canonicalForm({ at: new Date(0) });
    expect(withDate).toEqual({ json: '{"at":{}}', copy: { at: {} } });
    const proto = canonicalForm(JSON.parse('{"__proto__":{"x":1}}') as Record<string, unknown>);
    expect(proto.json).toBe('{"__proto__":{"x":1}}');
    expect(Object.keys(proto.copy)).toEqual(["__proto__"]);
    expect(() => canonicalForm({ n: Number.NaN })).toThrow("$.n");
  });
});

describe("isCanonicalObjectText: proves a stored text is exactly what canonicalJson writes", () => {
  it("accepts canonical object texts, including the escapes JSON.stringify writes", () => {
    for (const value of [{}, { a: [] }, { a: 1, b: { c: [1, -2.5, 1e21, 1e-7, null, true, false, "x"] } }, { "10": 1, "9": 2 }, { q: 'say "hi"\n\tC:\\path\b\f\r' }, { u: "é\u2028😀\u007f" }]) {
      expect(isCanonicalObjectText(canonicalJson(value))).toBe(true);
    }
  });

  it.each([
    ["whitespace", '{"a": 1}'],
    ["keys out of order", '{"b":1,"a":2}'],
    ["a duplicate key", '{"a":1,"a":2}'],
    ["a number not in shortest form", '{"a":1.0}'],
    ["an exponent JSON.stringify would not write", '{"a":1e2}'],
    ["negative zero", '{"a":-0}'],
    ["a leading zero", '{"a":01}'],
    ["an escaped slash", '{"a":"\\/"}'],
    ["a \\u escape", '{"a":"\\u0041"}'],
    ["a raw control character", '{"a":"\u0001"}'],
    ["a lone surrogate", '{"a":"\ud800"}'],
    ["trailing data", '{"a":1},"injected":{}'],
    ["an array at the top", "[1]"],
    ["a string at the top", '"x"'],
    ["unterminated", '{"a":"x'],
    ["a missing value", '{"a":}'],
    ["a trailing comma", '{"a":1,}'],
    ["not JSON at all", "{$unparsable"],
    ["an empty text", ""],
  ])("refuses %s", (_name, text) => {
    expect(isCanonicalObjectText(text)).toBe(false);
  });

  it("never accepts a text that canonicalJson would not write back byte for byte (20,000 mutated texts)", () => {
    const next = rng(20261124);
    const pieces = [" ", ",", ":", '"', "{", "}", "[", "]", "0", "1", ".", "e", "-", "+", "\\", "n", "u", "a", "b", "\u0001", "é", "\ud800"];
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      const value = { ...(randomValue(next, 1) as object), k: randomValue(next, 1) };
      let text = canonicalJson(value);
      // One to three edits: insert, delete or replace a character, or swap two neighbours.
      for (let edits = 1 + Math.floor(next() * 3); edits > 0; edits--) {
        const at = Math.floor(next() * (text.length + 1));
        const piece = pieces[Math.floor(next() * pieces.length)]!;
        const op = next();
        text = op < 0.3 ? text.slice(0, at) + piece + text.slice(at) : op < 0.6 ? text.slice(0, at) + text.slice(at + 1) : op < 0.85 ? text.slice(0, at) + piece + text.slice(at + 1) : text.slice(0, at) + text.slice(at + 1, at + 2) + text.slice(at, at + 1) + text.slice(at + 2);
      }
      if (!isCanonicalObjectText(text)) continue;
      accepted++;
      const parsed: unknown = JSON.parse(text);
      expect(typeof parsed === "object" && parsed !== null && !Array.isArray(parsed), text).toBe(true);
      expect(canonicalJson(parsed), text).toBe(text);
    }
    // Some edits keep a text canonical (a changed digit or letter): the property was exercised.
    expect(accepted).toBeGreaterThan(500);
  });
});
