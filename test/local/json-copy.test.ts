import { describe, expect, it } from "vitest";
import { jsonCopy } from "../../workflows/local/json.js";

/** The reference: what JSON itself makes of a value. */
const roundTrip = (value: unknown): unknown => {
  const text = JSON.stringify(value);
  return text === undefined ? null : JSON.parse(text);
};

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

describe("jsonCopy", () => {
  it("makes of a value exactly what a JSON round trip makes of it", () => {
    const cases: unknown[] = [
      null,
      undefined,
      "text",
      0,
      -1.5,
      true,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      [1, undefined, () => 1, Symbol("s"), Number.NaN, [null]],
      { a: 1, gone: undefined, fn: () => 1, sym: Symbol("s"), nested: { b: [1, { c: "d" }] } },
      { when: new Date("2026-11-24T12:00:00.000Z"), point: new Point(1, 2), map: new Map([["k", 1]]), boxed: new String("s") },
      { custom: { toJSON: () => ({ replaced: true }) } },
      Object.assign(Object.create(null) as object, { bare: "prototype-less" }),
      // eslint-disable-next-line no-sparse-arrays
      [1, , 3],
    ];
    for (const value of cases) {
      expect(jsonCopy(value)).toEqual(roundTrip(value));
    }
  });

  it("keeps an own __proto__ key as a key (as JSON.parse does) and never touches the prototype", () => {
    const hostile = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
    const copy = jsonCopy(hostile) as Record<string, unknown>;
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.keys(copy)).toEqual(["__proto__", "a"]);
    expect(JSON.stringify(copy)).toBe(JSON.stringify(hostile));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("shares nothing with the source", () => {
    const source = { list: [{ n: 1 }], inner: { s: "x" } };
    const copy = jsonCopy(source) as { list: { n: number }[]; inner: { s: string } };
    source.list[0]!.n = 2;
    source.inner.s = "changed";
    expect(copy).toEqual({ list: [{ n: 1 }], inner: { s: "x" } });
  });

  it("replaces text in every string value, never in keys", () => {
    const copy = jsonCopy({ "SECRET-key": "a SECRET here", list: ["SECRET", 1] }, (text) => text.replaceAll("SECRET", "***"));
    expect(copy).toEqual({ "SECRET-key": "a *** here", list: ["***", 1] });
  });

  it("fails as JSON does on what JSON refuses (cycles, BigInt), however deep", () => {
    const cycle: Record<string, unknown> = { a: 1 };
    cycle.self = cycle;
    expect(() => jsonCopy(cycle)).toThrow(TypeError);
    expect(() => jsonCopy({ n: 1n })).toThrow(TypeError);
    expect(() => jsonCopy([1n])).toThrow(TypeError);
    let deep: unknown = "bottom";
    for (let i = 0; i < 2000; i++) deep = { d: deep };
    expect(jsonCopy(deep)).toEqual(roundTrip(deep));
  });
});
