import { describe, expect, it } from "vitest";
import { formatReferencePath, parseReferencePath, type ParsedPath } from "../../workflows/compiler/reference-path.js";

function parsed(text: string): ParsedPath {
  const result = parseReferencePath(text);
  if ("error" in result) throw new Error(`expected ${text} to parse: ${result.error}`);
  return result;
}

function refused(text: string): string {
  const result = parseReferencePath(text);
  expect("error" in result, `expected ${text} to be refused`).toBe(true);
  return (result as { error: string }).error;
}

describe("parseReferencePath", () => {
  it.each([
    ["$", []],
    ["$.a", ["a"]],
    ["$.a.b", ["a", "b"]],
    ["$.a[0].b", ["a", 0, "b"]],
    ["$.instance.volumeIds[12]", ["instance", "volumeIds", 12]],
    ["$['a-b']", ["a-b"]],
    ["$['a b'].c", ["a b", "c"]],
    ["$['aws:tag'][3]", ["aws:tag", 3]],
    ["$.snake_case.with-dash", ["snake_case", "with-dash"]],
    ["$._private", ["_private"]],
  ] as const)("accepts %s", (text, segments) => {
    expect(parsed(text)).toEqual({ root: "$", segments });
  });

  it("tells the context object ($$) apart from the document ($)", () => {
    expect(parsed("$$.Task.Token")).toEqual({ root: "$$", segments: ["Task", "Token"] });
    expect(parsed("$$.Map.Item.Value")).toEqual({ root: "$$", segments: ["Map", "Item", "Value"] });
  });

  it.each([
    ["$..a", /field name after "\."/],
    ["$.a[*]", /brackets/],
    ["$.a[?(@)]", /brackets/],
    ["$.a[?(@.x == 1)]", /brackets/],
    ["$.a[0:2]", /brackets/],
    ["$.a[-1]", /brackets/],
    ["$.a['b\"]", /brackets/],
    ["a.b", /starts with \$/],
    ["", /starts with \$/],
    ["resource.instanceId", /starts with \$/],
    ["$.a.", /field name after "\."/],
    ["$.", /field name after "\."/],
    ["$.1abc", /field name after "\."/],
    ["$a", /unexpected "a"/],
    ["$.a b", /unexpected " "/],
    ["$.a[0", /brackets/],
  ])("refuses %s", (text, message) => {
    expect(refused(text)).toMatch(message);
  });

  it("refuses index values too large to be list positions", () => {
    expect(refused("$.a[1234567]")).toMatch(/brackets/);
    expect(parsed("$.a[123456]").segments).toEqual(["a", 123456]);
  });
});

describe("formatReferencePath", () => {
  it.each(["$", "$.a.b", "$.a[0].b", "$['a b'].c", "$['aws:tag']", "$$.Task.Token", "$.x[3][4]"])("writes %s back as it was read", (text) => {
    expect(formatReferencePath(parsed(text))).toBe(text);
  });

  it("uses dot notation where the name allows it and brackets otherwise", () => {
    expect(formatReferencePath({ root: "$", segments: ["resource", "instanceId"] })).toBe("$.resource.instanceId");
    expect(formatReferencePath({ root: "$", segments: ["a.b", 0, "9lives"] })).toBe("$['a.b'][0]['9lives']");
    // Whatever it writes parses back to the same segments.
    const path: ParsedPath = { root: "$", segments: ["a.b", 0, "c d", "e"] };
    expect(parsed(formatReferencePath(path))).toEqual(path);
  });
});
