/**
 * Text from the audit trail shown to people: the trigger event is kept as received (it is
 * evidence), approvers type reasons, and a tampered store holds anything. Characters that steer a
 * terminal or reorder what a reader sees (C0 and C1 controls, so ANSI escapes and carriage
 * returns; format characters such as bidi overrides and zero-width spaces; line and paragraph
 * separators) are shown as escapes instead, so what the reader sees is what was recorded.
 */
export const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
const INVISIBLE_ALL = new RegExp(INVISIBLE.source, "gu");
const INVISIBLE_BUT_NEWLINE = /(?!\n)[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

/** `\x1b`, `\u202e`, `\u{e0001}`: as a JavaScript string literal would write it. */
export function escapeCharacter(character: string): string {
  const code = character.codePointAt(0) ?? 0;
  const hex = code.toString(16);
  if (code <= 0xff) return `\\x${hex.padStart(2, "0")}`;
  return code <= 0xffff ? `\\u${hex.padStart(4, "0")}` : `\\u{${hex}}`;
}

/** One line of text with every invisible character escaped (newlines and tabs too). */
export function visible(text: string): string {
  return INVISIBLE.test(text) ? text.replace(INVISIBLE_ALL, escapeCharacter) : text;
}

/** A whole document whose line breaks are its own (not the data's): all but `\n` escaped. */
export function visibleLines(text: string): string {
  return INVISIBLE.test(text) ? text.replace(INVISIBLE_BUT_NEWLINE, escapeCharacter) : text;
}
