import { describe, expect, it } from "vitest";
import { mdCell, mdText } from "../../../functions/audit/report/markdown-text.js";
import { escapeHtml } from "../../../functions/audit/report/render-html.js";
import { visible } from "../../../functions/audit/visible-text.js";

// The escapers' definitions, without their shortcut for text that needs nothing.
const mdTextSlow = (text: string) => visible(text.replace(/[\\`<>[\]]/g, "\\$&"));
const mdCellSlow = (text: string) => mdTextSlow(text).replace(/\|/g, "\\|");
const escapeHtmlSlow = (text: string) => visible(text).replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);

const SAMPLES = [
  "",
  "plain text, nothing to escape: i-0abc 10.0.0.1/32 ✓ é 漢字 🙂",
  "a|b",
  "<script>alert('x')</script>",
  "[link](javascript:alert(1))",
  "back\\slash and `code`",
  "Tom & Jerry \"quoted\"",
  "line\nbreak\ttab\rreturn",
  "\u001b[31mred\u001b[0m",
  "bidi \u202e override, zero\u200bwidth, bom \ufeff, \u2028 line sep, \u2029 para sep",
  "c1 \u0085 next line, \u009b csi",
  "tag \u{e0001} language",
  "| only pipes |",
];

describe("report escapers take a shortcut only when nothing needs escaping", () => {
  it.each(SAMPLES)("gives what the full escaping gives: %j", (text) => {
    expect(mdText(text)).toBe(mdTextSlow(text));
    expect(mdCell(text)).toBe(mdCellSlow(text));
    expect(escapeHtml(text)).toBe(escapeHtmlSlow(text));
  });

  it("returns plain text as it is", () => {
    const text = "sg-0123 port 22 from 203.0.113.7";
    expect(mdText(text)).toBe(text);
    expect(mdCell(text)).toBe(text);
    expect(escapeHtml(text)).toBe(text);
  });

  it("still escapes a character that only the invisible class catches", () => {
    expect(escapeHtml("a\u202eb")).toBe("a\\u202eb");
    expect(mdText("a\u0000b")).toBe("a\\x00b");
  });
});
