/**
 * Whether `text` is, byte for byte, what `canonicalJson` writes for some JSON object, decided by
 * scanning it without building the object. Verification uses it to hash a stored body's text as
 * it is: a stored text is attacker-controlled, and hashing a text that is not canonical (keys out
 * of order, whitespace, `1.0`, a duplicate key, trailing data) could seal content a reader parses
 * differently. `true` guarantees `canonicalJson(JSON.parse(text)) === text`; `false` only means
 * "not proved" (rare forms such as `\u` escapes and lone surrogates are left to the slow path).
 */
export function isCanonicalObjectText(text: string): boolean {
  if (text.charCodeAt(0) !== OPEN_BRACE) return false;
  const end = scanValue(text, 0, 0);
  return end === text.length;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const MAX_DEPTH = 128;
const FAIL = -1;

/** Scans one value starting at `at`; returns the index after it, or FAIL. */
function scanValue(text: string, at: number, depth: number): number {
  const c = text.charCodeAt(at);
  if (c === QUOTE) return scanString(text, at);
  if (c === OPEN_BRACE) return depth < MAX_DEPTH ? scanObject(text, at, depth + 1) : FAIL;
  if (c === OPEN_BRACKET) return depth < MAX_DEPTH ? scanArray(text, at, depth + 1) : FAIL;
  if (c === 0x74) return text.startsWith("true", at) ? at + 4 : FAIL;
  if (c === 0x66) return text.startsWith("false", at) ? at + 5 : FAIL;
  if (c === 0x6e) return text.startsWith("null", at) ? at + 4 : FAIL;
  return scanNumber(text, at);
}

function scanObject(text: string, at: number, depth: number): number {
  let i = at + 1;
  if (text.charCodeAt(i) === CLOSE_BRACE) return i + 1;
  let previousStart = -1;
  let previousEnd = -1;
  for (;;) {
    if (text.charCodeAt(i) !== QUOTE) return FAIL;
    const end = scanString(text, i);
    // Keys with escapes would need decoding to compare: left to the slow path.
    if (end === FAIL || sawEscape) return FAIL;
    const start = i + 1;
    // Strictly increasing, as sort() orders them (UTF-16 code units): no duplicates, no disorder.
    if (previousStart >= 0 && compareSpans(text, previousStart, previousEnd, start, end - 1) >= 0) return FAIL;
    previousStart = start;
    previousEnd = end - 1;
    i = end;
    if (text.charCodeAt(i) !== COLON) return FAIL;
    i = scanValue(text, i + 1, depth);
    if (i === FAIL) return FAIL;
    const next = text.charCodeAt(i);
    if (next === CLOSE_BRACE) return i + 1;
    if (next !== COMMA) return FAIL;
    i += 1;
  }
}

function scanArray(text: string, at: number, depth: number): number {
  let i = at + 1;
  if (text.charCodeAt(i) === CLOSE_BRACKET) return i + 1;
  for (;;) {
    i = scanValue(text, i, depth);
    if (i === FAIL) return FAIL;
    const next = text.charCodeAt(i);
    if (next === CLOSE_BRACKET) return i + 1;
    if (next !== COMMA) return FAIL;
    i += 1;
  }
}

/** Set by `scanString`: whether the string it last scanned held an escape (saves allocating a result). */
let sawEscape = false;

/**
 * A string exactly as JSON.stringify writes it: raw code units from U+0020 up except `"`, `\`
 * and lone surrogates; the escapes it uses for `"`, `\` and \b \f \n \r \t. Anything else fails.
 * Returns the index after the closing quote.
 */
function scanString(text: string, at: number): number {
  sawEscape = false;
  for (let i = at + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) return i + 1;
    if (c < 0x20) return FAIL;
    if (c >= 0xd800 && c <= 0xdfff) {
      // A pair is written raw; a lone surrogate JSON.stringify escapes as \u (left to the slow path).
      const low = text.charCodeAt(i + 1);
      if (c > 0xdbff || !(low >= 0xdc00 && low <= 0xdfff)) return FAIL;
      i += 1;
      continue;
    }
    if (c === BACKSLASH) {
      const e = text.charCodeAt(i + 1);
      // " \ b f n r t; not `/` (JSON.stringify never escapes it) and not \u (left to the slow path).
      if (e !== QUOTE && e !== BACKSLASH && e !== 0x62 && e !== 0x66 && e !== 0x6e && e !== 0x72 && e !== 0x74) return FAIL;
      sawEscape = true;
      i += 1;
    }
  }
  return FAIL;
}

/** Compares the spans [aStart, aEnd) and [bStart, bEnd) of `text` by UTF-16 code units, like `<` on strings. */
function compareSpans(text: string, aStart: number, aEnd: number, bStart: number, bEnd: number): number {
  const aLength = aEnd - aStart;
  const bLength = bEnd - bStart;
  const length = Math.min(aLength, bLength);
  for (let i = 0; i < length; i++) {
    const d = text.charCodeAt(aStart + i) - text.charCodeAt(bStart + i);
    if (d !== 0) return d;
  }
  return aLength - bLength;
}

/** A number token in the form JSON.stringify writes it: `-?digits[.digits][e[+-]digits]`, shortest round trip, never `-0`. */
function scanNumber(text: string, at: number): number {
  let i = at;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    // Digits, '-', '+', '.', 'e': the JSON number alphabet (JSON.stringify writes a lowercase e).
    if ((c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e || c === 0x65) i++;
    else break;
  }
  if (i === at) return FAIL;
  const token = text.slice(at, i);
  if (!NUMBER.test(token)) return FAIL;
  const value = Number(token);
  return Number.isFinite(value) && JSON.stringify(value) === token ? i : FAIL;
}

const NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:e[+-]?[0-9]+)?$/;
