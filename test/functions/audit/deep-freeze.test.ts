import { describe, expect, it } from "vitest";
import { deepFreeze } from "../../../functions/audit/deep-freeze.js";

describe("deepFreeze", () => {
  it("freezes objects and arrays at every depth and returns the same value", () => {
    const body = { a: [1, { b: [[{ c: "x" }]] }], d: { e: null, f: { g: true } }, h: "s" };
    expect(deepFreeze(body)).toBe(body);
    const inner = body.a[1] as { b: { c: string }[][] };
    for (const part of [body, body.a, inner, inner.b, inner.b[0], inner.b[0]![0], body.d, body.d.f]) expect(Object.isFrozen(part)).toBe(true);
    expect(() => {
      (inner.b[0]![0] as { c: string }).c = "y";
    }).toThrow(TypeError);
  });

  it("returns primitives and null as they are", () => {
    expect(deepFreeze(null)).toBe(null);
    expect(deepFreeze("x")).toBe("x");
    expect(deepFreeze(3)).toBe(3);
    expect(deepFreeze(undefined)).toBe(undefined);
  });

  it("freezes inside an object already frozen at the top, and a null-prototype object", () => {
    const child = { x: 1 };
    const top = Object.freeze({ child });
    deepFreeze(top);
    expect(Object.isFrozen(child)).toBe(true);
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { list: [{ y: 2 }] });
    deepFreeze(bare);
    expect(Object.isFrozen((bare.list as object[])[0])).toBe(true);
  });
});
