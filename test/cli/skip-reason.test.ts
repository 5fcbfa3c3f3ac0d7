/**
 * Why a guarded step was skipped, read from the Choice rule the compiler made of its `when:` and
 * the input the guard saw; nothing when the rule is read as true or cannot be read.
 */
import { describe, expect, it } from "vitest";
import { skipReason } from "../../cli/commands/skip-reason.js";

const exists = (path: string) => ({ And: [{ Variable: path, IsPresent: true }, { Variable: path, IsNull: false }] });
const equals = (path: string, value: string) => ({ And: [{ Variable: path, IsPresent: true }, { Variable: path, IsNull: false }, { Variable: path, StringEquals: value }] });

describe("skipReason", () => {
  it("names a missing or null field, and a value that is not the one asked for", () => {
    expect(skipReason(exists("$.block.cidr"), {})).toBe("$.block.cidr is missing");
    expect(skipReason(exists("$.block.cidr"), { block: { cidr: null } })).toBe("$.block.cidr is null");
    expect(skipReason(equals("$.network.direction", "outbound"), { network: { direction: "inbound" } })).toBe('$.network.direction is "inbound", not "outbound"');
    expect(skipReason({ And: [{ Variable: "$.severity", IsPresent: true }, { Variable: "$.severity", NumericGreaterThanEquals: 7 }] }, { severity: 5 })).toBe("$.severity is 5, not >= 7");
    expect(skipReason({ Variable: "$.exempt", BooleanEquals: true }, { exempt: false })).toBe("$.exempt is false, not true");
    expect(skipReason({ Variable: "$.name", StringMatches: "web-*" }, { name: "db-1" })).toBe('$.name is "db-1", not like "web-*"');
  });

  it("a `not` that failed says what did hold, its presence guards read as exists", () => {
    // The demo's "Tell the owner": a blocked address, and no rule open to the world.
    const rule = { And: [exists("$.block.cidr"), { Not: exists("$.instance.openToWorld[0]") }] };
    expect(skipReason(rule, { block: { cidr: "203.0.113.77/32" }, instance: { openToWorld: ["sgr-1"] } })).toBe("$.instance.openToWorld[0] exists");
    expect(skipReason({ Not: equals("$.network.direction", "outbound") }, { network: { direction: "outbound" } })).toBe('$.network.direction is "outbound"');
  });

  it("an `any` gives every part that failed", () => {
    const rule = { Or: [{ Variable: "$.a", BooleanEquals: true }, { Variable: "$.b", BooleanEquals: true }] };
    expect(skipReason(rule, { a: false })).toBe("$.a is false, not true and $.b is missing");
  });

  it("a value of another type compares false (as Step Functions does), and long values are cut", () => {
    expect(skipReason({ Variable: "$.n", NumericEquals: 3 }, { n: "3" })).toBe('$.n is "3", not 3');
    expect(skipReason({ Variable: "$.s", StringEquals: "x" }, { s: "y".repeat(200) })).toMatch(/^\$\.s is "y{58}…, not "x"$/);
  });

  it("says nothing it cannot stand behind: a rule it reads as true, an unknown operator, a path it does not read", () => {
    expect(skipReason(exists("$.a"), { a: 1 })).toBeUndefined();
    expect(skipReason({ Variable: "$.a", IsBoolean: true }, { a: 1 })).toBeUndefined();
    expect(skipReason({ Variable: "$.items[*].id", IsPresent: true }, {})).toBeUndefined();
    expect(skipReason({ Variable: "$$.Execution.Id", IsPresent: true }, {})).toBeUndefined();
    expect(skipReason("not a rule", {})).toBeUndefined();
    expect(skipReason({ And: "nope" }, {})).toBeUndefined();
  });
});
