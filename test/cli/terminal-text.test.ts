import { describe, expect, it } from "vitest";
import { terminalDocument, terminalField, terminalJson } from "../../cli/terminal-text.js";

const RAW = /(?!\n)[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

describe("terminal text", () => {
  it("a field is one line with nothing a terminal acts on", () => {
    expect(terminalField("alice\u001b[2J\r\nFORGED approved by root")).toBe("alice\\x1b[2J\\x0d\\x0aFORGED approved by root");
  });

  it("a document keeps its own lines only", () => {
    expect(terminalDocument("a\n\u001b]0;title\u0007b\n")).toBe("a\n\\x1b]0;title\\x07b\n");
  });

  it("JSON is the same value, with C1 controls, DEL and format characters as \\u escapes (astral ones as surrogate pairs)", () => {
    const value = { reason: "\u009b31m \u007f \u202eevil \u2028 \u{e0041} \u001b[0m", n: 1, list: ["ok"] };
    const text = terminalJson(value);
    expect(text).not.toMatch(RAW);
    expect(JSON.parse(text)).toEqual(value);
    expect(text).toContain("\\u009b31m \\u007f \\u202eevil \\u2028 \\udb40\\udc41 \\u001b[0m");
    expect(terminalJson(value, 0)).not.toContain("\n");
  });
});
