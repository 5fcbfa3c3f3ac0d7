import { INVISIBLE, visible } from "../visible-text.js";

/**
 * Data placed in the markdown report. It stays one line (a newline could start a heading or end
 * a table row), shows invisible characters as escapes, and cannot make markup: `<` (raw HTML,
 * autolinks), `[` `]` (links and images, so no `javascript:` target and no tracking pixel) and
 * backticks are backslash-escaped, and so is the backslash, so an escape in the data stays text.
 */
export function mdText(text: string): string {
  // Most data needs none of it: one scan instead of two passes and a copy.
  if (!MD_SPECIAL.test(text)) return text;
  return visible(text.replace(/[\\`<>[\]]/g, "\\$&"));
}

/** What `mdText` changes: its markup characters and `visible`'s invisible ones. */
const MD_SPECIAL = new RegExp(`[\\\\\`<>[\\]]|${INVISIBLE.source}`, "u");

/** `mdText` in a table cell: a `|` would end the cell. */
export function mdCell(text: string): string {
  const shown = mdText(text);
  return shown.includes("|") ? shown.replace(/\|/g, "\\|") : shown;
}

/** Inline code the data cannot close early: fenced by more backticks than any run inside it. */
export function mdCode(text: string): string {
  const shown = visible(text);
  const longest = Math.max(0, ...(shown.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longest + 1);
  return longest > 0 ? `${fence} ${shown} ${fence}` : `${fence}${shown}${fence}`;
}

/** A value as JSON in running text. */
export function mdJson(value: unknown): string {
  return mdText(value === undefined ? "(none)" : JSON.stringify(value));
}
