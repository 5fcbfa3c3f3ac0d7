import { describe, expect, it } from "vitest";
import { canonicalForm, canonicalJson, sortKeys } from "../../../functions/audit/canonical-json.js";

/**
 * Exact bytes on awkward input, written out literally: the text every stored hash is over must not
 * move when the serialiser is made cheaper.
 */
describe("canonical JSON: pinned bytes", () => {
  it.each<[string, Record<string, unknown>, string]>([
    ["keys already sorted", { a: 1, b: "x", c: null }, '{"a":1,"b":"x","c":null}'],
    ["keys in reverse", { e: 5, d: 4, c: 3, b: 2, a: 1 }, '{"a":1,"b":2,"c":3,"d":4,"e":5}'],
    ["keys by UTF-16 code unit, not locale: upper before lower, é after z", { z: 1, é: 2, a: 3, B: 4, _: 5 }, '{"B":4,"_":5,"a":3,"z":1,"é":2}'],
    ["an astral character (a surrogate pair) sorts before U+FFFF", { "\uffff": 1, "😀": 2, "\u4e00": 3 }, '{"一":3,"😀":2,"\uffff":1}'],
    ["a key that is a prefix of another sorts first", { ab: 1, a: 2, abc: 3, "": 4 }, '{"":4,"a":2,"ab":1,"abc":3}'],
    ["keys needing escapes", { 'q"k': 1, "b\\s": 2, "n\nl": 3, "\u0001c": 4, "t\tab": 5 }, '{"\\u0001c":4,"b\\\\s":2,"n\\nl":3,"q\\"k":1,"t\\tab":5}'],
    ["strings: escapes, line separators, a lone surrogate", { s: '"\\/\b\f\n\r\t\u0000\u001f\u2028\u2029\ud800é😀' }, '{"s":"\\"\\\\/\\b\\f\\n\\r\\t\\u0000\\u001f\u2028\u2029\\ud800é😀"}'],
    ["numbers: -0, large, small, fractional, integers past 2^53", { a: -0, b: 1e21, c: 1e-7, d: 0.1 + 0.2, e: 2 ** 53 + 2, f: -1.5e-300, g: 123456789012345680000 }, '{"a":0,"b":1e+21,"c":1e-7,"d":0.30000000000000004,"e":9007199254740994,"f":-1.5e-300,"g":123456789012345680000}'],
    ["nested arrays keep their order; objects inside them are sorted", { x: [[3, [2, [1, []]]], [{ b: 1, a: [{ d: 0, c: -0 }] }], []] }, '{"x":[[3,[2,[1,[]]]],[{"a":[{"c":0,"d":0}],"b":1}],[]]}'],
    ["undefined members dropped at every depth", { b: undefined, a: { z: undefined, y: [null] } }, '{"a":{"y":[null]}}'],
    ["integer-like keys in string order", { "10": "a", "9": "b", "1": "c", x: "d" }, '{"1":"c","10":"a","9":"b","x":"d"}'],
    ["many keys shuffled", Object.fromEntries(["m", "c", "q", "a", "x", "f", "k", "b", "z", "d", "n", "e", "y", "g", "p", "h", "w", "i", "v", "j", "u", "l", "t", "o", "s", "r"].map((k, i) => [k, i])), `{${"abcdefghijklmnopqrstuvwxyz".split("").map((k) => `"${k}":${["m", "c", "q", "a", "x", "f", "k", "b", "z", "d", "n", "e", "y", "g", "p", "h", "w", "i", "v", "j", "u", "l", "t", "o", "s", "r"].indexOf(k)}`).join(",")}}`],
  ])("%s", (_name, value, expected) => {
    expect(canonicalJson(value)).toBe(expected);
    const { json, copy } = canonicalForm(value);
    expect(json).toBe(expected);
    // The copy is what parsing the text gives back (integer-like keys then come first, as for any parse).
    expect(copy).toStrictEqual(JSON.parse(expected));
    expect(JSON.stringify(copy)).toBe(JSON.stringify(JSON.parse(expected)));
  });

  it("the copy is deep-frozen, on the fast path and on the slow one, and the original is not", () => {
    const original = { b: [{ d: [1] }], a: { c: {} } };
    const fast = canonicalForm(original).copy as { a: { c: object }; b: { d: number[] }[] };
    for (const part of [fast, fast.a, fast.a.c, fast.b, fast.b[0], fast.b[0]!.d]) expect(Object.isFrozen(part)).toBe(true);
    expect(Object.isFrozen(original) || Object.isFrozen(original.b) || Object.isFrozen(original.b[0]!.d)).toBe(false);
    // A Date is not plain data: the copy is then parsed back from the text, and frozen too.
    const slow = canonicalForm({ at: new Date(0), list: [{ x: 1 }] });
    expect(slow.json).toBe('{"at":{},"list":[{"x":1}]}');
    const copy = slow.copy as { at: object; list: object[] };
    for (const part of [copy, copy.at, copy.list, copy.list[0]]) expect(Object.isFrozen(part)).toBe(true);
  });

  it("the copy of an unsorted object has its keys in sorted order, the original is untouched", () => {
    const original = { b: { y: 1, x: 2 }, a: 1 };
    const { copy } = canonicalForm(original);
    expect(Object.keys(copy)).toEqual(["a", "b"]);
    expect(Object.keys(copy.b as object)).toEqual(["x", "y"]);
    expect(Object.keys(original)).toEqual(["b", "a"]);
    expect(Object.keys(original.b)).toEqual(["y", "x"]);
  });
});

describe("sortKeys: the same order as Array.prototype.sort", () => {
  it("on small edge cases", () => {
    expect(sortKeys([])).toEqual([]);
    expect(sortKeys(["a"])).toEqual(["a"]);
    expect(sortKeys(["b", "a"])).toEqual(["a", "b"]);
    expect(sortKeys(["a", "b", "c"])).toEqual(["a", "b", "c"]);
    expect(sortKeys(["\uffff", "😀", "é", "Z", "a", "10", "9", ""])).toEqual(["", "10", "9", "Z", "a", "é", "😀", "\uffff"]);
  });

  it("on 5,000 generated key lists, sorts in place", () => {
    let state = 20261125;
    const next = () => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state / 2 ** 32;
    };
    const alphabet = ["a", "b", "A", "0", "9", "é", "😀", "\ud800", "\uffff", "_", " "];
    for (let i = 0; i < 5000; i++) {
      const keys = [...new Set(Array.from({ length: Math.floor(next() * 12) }, () => Array.from({ length: 1 + Math.floor(next() * 3) }, () => alphabet[Math.floor(next() * alphabet.length)]).join("")))];
      const expected = [...keys].sort();
      const same = sortKeys(keys);
      expect(same).toBe(keys);
      expect(keys).toEqual(expected);
    }
  });
});
