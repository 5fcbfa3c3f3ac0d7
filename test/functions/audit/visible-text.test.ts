import { describe, expect, it } from "vitest";
import { visible, visibleLines } from "../../../functions/audit/visible-text.js";
import { mdCell, mdCode, mdJson, mdText } from "../../../functions/audit/report/markdown-text.js";
import { escapeHtml } from "../../../functions/audit/report/index.js";

/** Anything a terminal or a bidi-aware viewer would act on instead of showing. */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

describe("visible text", () => {
  it("shows ANSI escapes, carriage returns, C1 controls, bidi overrides and zero-width characters as escapes", () => {
    expect(visible("\u001b[31mred\u001b[0m")).toBe("\\x1b[31mred\\x1b[0m");
    expect(visible("ok\rFORGED")).toBe("ok\\x0dFORGED");
    expect(visible("a\nb\tc\u0000")).toBe("a\\x0ab\\x09c\\x00");
    expect(visible("\u009b31m \u0085 \u007f")).toBe("\\x9b31m \\x85 \\x7f");
    expect(visible("\u202eevil\u202c \u2066x\u2069 al\u200bice \ufeff")).toBe("\\u202eevil\\u202c \\u2066x\\u2069 al\\u200bice \\ufeff");
    expect(visible("a\u2028b\u2029c")).toBe("a\\u2028b\\u2029c");
    expect(visible("tag\u{e0041}")).toBe("tag\\u{e0041}");
  });

  it("leaves ordinary text alone, non-ASCII included (the same string back)", () => {
    for (const text of ["i-0123456789abcdef0", "arn:aws:iam::123456789012:role/IncidentLead", "Zürich → 東京 🔥", "", "<script>"]) expect(visible(text)).toBe(text);
  });

  it("visibleLines keeps a document's own line breaks and escapes everything else", () => {
    expect(visibleLines("# title\n\u001b[2Jbody\r\n")).toBe("# title\n\\x1b[2Jbody\\x0d\n");
  });
});

describe("markdown text", () => {
  it("cannot start a line, a link, an image, raw HTML or an autolink", () => {
    const hostile = "ok\n# Forged heading\r[click](javascript:alert(1)) ![](http://203.0.113.9/pixel) <img src=x onerror=alert(1)> <http://x>";
    const shown = mdText(hostile);
    expect(shown).not.toMatch(/[\r\n]/);
    expect(shown).not.toMatch(/(?<!\\)[[\]<>]/);
    expect(shown).toBe("ok\\x0a# Forged heading\\x0d\\[click\\](javascript:alert(1)) !\\[\\](http://203.0.113.9/pixel) \\<img src=x onerror=alert(1)\\> \\<http://x\\>");
  });

  it("escapes the backslash, so an escape in the data stays text", () => {
    expect(mdText("\\[x](javascript:y)")).toBe("\\\\\\[x\\](javascript:y)");
  });

  it("keeps a table cell one cell", () => {
    const cell = mdCell("a | b\nc");
    expect(cell).toBe("a \\| b\\x0ac");
    expect(cell.split(/(?<!\\)\|/)).toHaveLength(1);
  });

  it("code spans are fenced longer than any backtick run inside them", () => {
    expect(mdCode("i-0abc")).toBe("`i-0abc`");
    expect(mdCode("a`b")).toBe("`` a`b ``");
    expect(mdCode("x``y\n")).toBe("``` x``y\\x0a ```");
  });

  it("JSON in running text is escaped the same way", () => {
    expect(mdJson({ ua: "<img src=x>" })).toBe('{"ua":"\\<img src=x\\>"}');
    expect(mdJson(undefined)).toBe("(none)");
  });
});

describe("HTML escaping", () => {
  it("escapes markup and shows invisible characters", () => {
    const html = escapeHtml(`"><img src=x onerror=alert(1)>\u001b[2J\u202e`);
    expect(html).not.toMatch(/[<>"]/);
    expect(html).not.toMatch(INVISIBLE);
    expect(html).toContain("\\x1b[2J\\u202e");
  });
});
