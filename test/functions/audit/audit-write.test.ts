import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { chainEntry, entryHash, sealNext } from "../../../functions/audit/audit-entry.js";
import { KIND, stepEntry } from "../../../functions/audit/audit-kinds.js";
import { canonicalJson, isJsonData } from "../../../functions/audit/canonical-json.js";
import type { AuditEntryInput } from "../../../functions/audit/audit-port.js";
import type { StepRecord } from "../../../functions/runtime/step-journal.js";

const ID = "inc-20261124-0123456789ab";
const AT = "2026-11-24T12:00:00.000Z";
const record = (output?: Record<string, unknown>): StepRecord => ({ task: "ec2.describe-instance", mode: "run", at: AT, executionId: "x", summary: "described", changes: [], evidence: [], ...(output ? { output } : {}) });

describe("appending: one serialisation per entry, the same hash as ever", () => {
  it("seals over the canonical text it returns, and the entry reads back as that text parsed", () => {
    const { entry, bodyJson } = sealNext(ID, undefined, { kind: "x.y", actor: "a", at: AT, body: { z: 1, a: { "10": true, "9": [1, "two", null] }, gone: undefined } });
    expect(bodyJson).toBe('{"a":{"10":true,"9":[1,"two",null]},"z":1}');
    expect(entry.body).toEqual(JSON.parse(bodyJson));
    expect(canonicalJson(entry.body)).toBe(bodyJson);
    expect(entryHash(entry)).toBe(entry.hash);
    // The hash is over the whole entry's canonical JSON, as it always was.
    const { hash: _hash, ...unsealed } = { ...entry };
    expect(entry.hash).toBe(entryHash(unsealed));
    expect(chainEntry(ID, undefined, { kind: "x.y", actor: "a", at: AT, body: { a: { "9": [1, "two", null], "10": true }, z: 1 } }).hash).toBe(entry.hash);
  });

  it("a hash known before this change still comes out the same (format unchanged)", () => {
    // Pinned from the code before this change: SHA-256 over {"actor":"a","at":…,"body":{"n":1},"incidentId":…,"kind":"x.y","prevHash":"000…","seq":1}.
    const { entry } = sealNext(ID, undefined, { kind: "x.y", actor: "a", at: AT, body: { n: 1 } });
    expect(entry.hash).toBe("9a69ed9405ed4dc7eeb4ea42061f54bce0e52839d96cfa90866b14f453c0c51e");
  });

  it("500 chained entries of awkward content hash exactly as before this change (pinned)", () => {
    // Nested "__proto__" keys, integer-like keys, escapes, U+2028, surrogate pairs, -0, 1e21: each
    // entry chained to the last, and the 500 hashes digested. The digest was computed with the code
    // before this change, from this same generator.
    let state = 42;
    const next = () => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state / 2 ** 32;
    };
    const ALPHA = ["a", "b", "Z", "10", "9", "0", '"', "\\", "\n", "\u0001", "é", "\u2028", "😀", "/", " ", "__proto__", ""];
    const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
    const text = () => Array.from({ length: Math.floor(next() * 4) }, () => pick(ALPHA)).join("");
    const value = (d: number): unknown => {
      const r = next();
      if (d > 3 || r < 0.35) return pick<unknown>([null, true, false, 0, -0, 1, -17, 0.5, 1e21, 1e-7, 2 ** 53, text()]);
      if (r < 0.55) return Array.from({ length: Math.floor(next() * 4) }, () => value(d + 1));
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(next() * 5); i > 0; i--) Object.defineProperty(o, text(), { value: value(d + 1), enumerable: true, writable: true, configurable: true });
      return o;
    };
    let previous: { seq: number; hash: string } | undefined;
    const all = createHash("sha256");
    for (let i = 0; i < 500; i++) {
      const top = text();
      const body = { k: value(0), [top === "__proto__" ? "p" : top]: value(1) };
      previous = chainEntry(ID, previous, { kind: "x.y", actor: `function:${text() || "t"}`, at: AT, body });
      all.update(previous.hash);
    }
    expect(all.digest("hex")).toBe("5034d9f489b5b21a68087a3988f4ff76e1121ccd52f8ec3389fa361a44f0c812");
  });

  it("a top-level \"__proto__\" key is kept and hashed like any other key (zod's record copy used to drop it silently)", () => {
    const body = JSON.parse('{"__proto__":{"x":1},"k":2}') as Record<string, unknown>;
    const { bodyJson } = sealNext(ID, undefined, { kind: "x.y", actor: "a", at: AT, body });
    expect(bodyJson).toBe('{"__proto__":{"x":1},"k":2}');
  });

  it.each<[string, Partial<AuditEntryInput> & Record<string, unknown>, string]>([
    ["a body that is not an object", { body: "text" as unknown as Record<string, unknown> }, "body must be an object"],
    ["a body that is an array", { body: [] as unknown as Record<string, unknown> }, "body must be an object"],
    ["a value JSON cannot hold", { body: { n: Number.NaN } }, "$.n"],
  ])("refuses %s, naming it", (_name, change, message) => {
    expect(() => sealNext(ID, undefined, { kind: "x.y", actor: "a", at: AT, body: {}, ...change })).toThrow(message);
  });
});

describe("stepEntry: the JSON round trip only where it changes something", () => {
  it("a record of plain JSON data is used as it is", () => {
    const plain = record({ instanceId: "i-1", groups: ["sg-1"] });
    const entry = stepEntry("contain/isolate", undefined, plain);
    expect(entry.kind).toBe(KIND.stepRan);
    expect(entry.body.record).toBe(plain);
    expect(canonicalJson(entry.body)).toBe(canonicalJson(JSON.parse(JSON.stringify(entry.body))));
  });

  it("a record holding more than JSON (a Date from an SDK response, an undefined in a list) is stored as JSON would write it", () => {
    const launched = new Date("2026-11-20T08:00:00.000Z");
    const odd = record({ launchTime: launched, tags: [undefined, "web"] });
    expect(isJsonData(odd)).toBe(false);
    const body = stepEntry("contain/isolate", 2, odd).body as { item: number; record: { output: { launchTime: unknown; tags: unknown[] } } };
    expect(body.item).toBe(2);
    expect(body.record.output).toEqual({ launchTime: "2026-11-20T08:00:00.000Z", tags: [null, "web"] });
    const { entry } = sealNext(ID, undefined, stepEntry("contain/isolate", 2, odd));
    expect((entry.body as typeof body).record.output.launchTime).toBe("2026-11-20T08:00:00.000Z");
  });
});
