import { visible, visibleLines } from "../functions/audit/visible-text.js";

/**
 * What the CLI prints from recorded data passes through here, so nothing recorded (an event kept
 * as received, a typed reason, a tampered store) reaches the terminal as a control sequence or a
 * forged line: `terminalField` for one value in a line (its newlines escaped too),
 * `terminalDocument` for a rendered report (its own line breaks kept), `terminalJson` for --json.
 */
export const terminalField = visible;
export const terminalDocument = visibleLines;

// JSON.stringify escapes C0 controls inside strings (and a raw newline outside one is layout), so
// only these can still reach the terminal from a string's contents.
const RAW_IN_JSON = /[\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}]/u;
const RAW_IN_JSON_ALL = new RegExp(RAW_IN_JSON.source, "gu");
const unicodeEscape = (character: string): string => Array.from({ length: character.length }, (_, i) => `\\u${character.charCodeAt(i).toString(16).padStart(4, "0")}`).join("");

/** JSON text for a terminal: the same value (a parser reads it back unchanged), nothing invisible raw. */
export function terminalJson(value: unknown, indent = 2): string {
  const text = JSON.stringify(value, null, indent);
  return RAW_IN_JSON.test(text) ? text.replace(RAW_IN_JSON_ALL, unicodeEscape) : text;
}
