import { describe, expect, it } from "vitest";
import { clonePlain, toLogged } from "../../../workflows/local/simulated-account/plain.js";

describe("clonePlain and toLogged", () => {
  it("copy every level, so a later change to the copy never reaches the original", () => {
    const original = { a: [{ b: new Date(0), c: new Uint8Array([1, 2]) }], d: { e: "x" } };
    const copy = clonePlain(original);
    expect(copy).toEqual(original);
    copy.a[0]!.b.setTime(5);
    copy.a[0]!.c[0] = 9;
    copy.d.e = "y";
    expect(original).toEqual({ a: [{ b: new Date(0), c: new Uint8Array([1, 2]) }], d: { e: "x" } });
  });

  it("keep a __proto__ key as data, never as the copy's prototype", () => {
    const hostile = JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}') as Record<string, unknown>;
    const copy = clonePlain(hostile);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect((copy as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.keys(copy)).toEqual(["__proto__", "ok"]);
    const logged = toLogged(hostile) as Record<string, unknown>;
    expect(Object.getPrototypeOf(logged)).toBe(Object.prototype);
    expect(Object.keys(logged)).toEqual(["__proto__", "ok"]);
  });

  it("logs dates as text, bytes by length, drops undefined and names live objects", () => {
    expect(toLogged({ at: new Date(0), body: new Uint8Array(3), gone: undefined, live: new Map() })).toEqual({ at: "1970-01-01T00:00:00.000Z", body: { bytes: 3 }, live: "[Map]" });
  });
});
