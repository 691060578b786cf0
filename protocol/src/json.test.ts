import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonNestingExceeds } from './json.js';

/** Nesting depth of a parsed JSON value: the outermost object or array is level 1. */
function depthOf(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  const children = Object.values(value as Record<string, unknown>);
  return 1 + Math.max(0, ...children.map(depthOf));
}

describe('JSON nesting bound', () => {
  it('finds the exact depth of any JSON text, brackets and escapes inside strings included', () => {
    // Strings full of the characters the scan must not be fooled by.
    const tricky = fc.stringMatching(/^[[\]{}"\\a\u00e9\u{1F600}]{0,12}$/u);
    const json = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        tricky,
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('value'), { maxLength: 3 }),
        fc.dictionary(tricky, tie('value'), { maxKeys: 3 }),
      ),
    })).value;
    fc.assert(
      fc.property(json, fc.integer({ min: 0, max: 12 }), (value, limit) => {
        const text = JSON.stringify(value);
        expect(jsonNestingExceeds(text, limit)).toBe(depthOf(JSON.parse(text)) > limit);
      }),
      { numRuns: 2000 },
    );
  });

  it('stops early on 100,000 levels and is not fooled by quotes, escapes or unterminated strings', () => {
    expect(jsonNestingExceeds('['.repeat(100_000) + ']'.repeat(100_000), 8)).toBe(true);
    expect(jsonNestingExceeds('{"a":'.repeat(9) + '1' + '}'.repeat(9), 8)).toBe(true);
    expect(jsonNestingExceeds('{"a":'.repeat(8) + '1' + '}'.repeat(8), 8)).toBe(false);
    expect(jsonNestingExceeds(`{"a":"${'['.repeat(50)}"}`, 8)).toBe(false);
    expect(jsonNestingExceeds(`{"a":"\\"${'['.repeat(50)}"}`, 8)).toBe(false);
    // An even run of backslashes ends the string: the brackets after it count.
    expect(jsonNestingExceeds(`["\\\\",${'['.repeat(20)}`, 8)).toBe(true);
    expect(jsonNestingExceeds(`["${'['.repeat(20)}`, 8)).toBe(false);
  });
});
