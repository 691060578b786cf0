/**
 * Bounds on JSON shape, checked before the text is parsed. JSON.parse and JSON.stringify recurse
 * once per level of nesting: 100,000 nested brackets (200 KB, under every size limit) overflow the
 * stack, and anything that walks the parsed value afterwards (a schema check, a dead-letter copy)
 * would do the same. No contract payload is nested deeper than a handful of levels, so deeper text
 * is refused (NESTING_TOO_DEEP) without being parsed.
 */

const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \
const OPEN_OBJECT = 0x7b; // {
const OPEN_ARRAY = 0x5b; // [
const CLOSE_OBJECT = 0x7d; // }
const CLOSE_ARRAY = 0x5d; // ]

/**
 * True when `text` opens more than `maxDepth` objects or arrays inside one another (the outermost
 * value is level 1). One pass, no allocation: strings are skipped whole, with escapes honoured as
 * JSON defines them (RFC 8259 section 7), so for valid JSON the depth found is exact. For invalid
 * JSON it is a bound on how deep JSON.parse can get before it fails, which is all that matters.
 */
export function jsonNestingExceeds(text: string, maxDepth: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = closingQuote(text, i);
      if (i < 0) return false; // an unterminated string: JSON.parse refuses it there
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > maxDepth) return true;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth--;
    }
  }
  return false;
}

/**
 * The index of the quote that ends the string opened at `open`, or -1. indexOf runs natively, about
 * twice as fast as looking at each character; a quote preceded by an odd run of backslashes is
 * escaped. Each run is looked at once, by the quote right after it, so the scan stays linear.
 */
function closingQuote(text: string, open: number): number {
  for (let from = open + 1; ;) {
    const quote = text.indexOf('"', from);
    if (quote < 0) return -1;
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote;
    from = quote + 1;
  }
}
