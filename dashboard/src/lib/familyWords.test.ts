import { describe, expect, it } from 'vitest';
import { NOW } from '../testing/fixtures.js';
import { limitedReadingsInWords } from './familyWords.js';
import { DAY, HOUR } from './time.js';

describe('limitedReadingsInWords', () => {
  it('says readings are taken as planned, and when, with no numbers', () => {
    const said = limitedReadingsInWords(NOW - 3 * HOUR, NOW);
    expect(said.state).toBe('as-planned');
    expect(said.sentence).toMatch(
      /^Readings are being taken as planned\. The last reading was taken 3 hours ago \(/,
    );
  });

  it('does not reassure after more than a day without a reading', () => {
    const said = limitedReadingsInWords(NOW - DAY - HOUR, NOW);
    expect(said.state).toBe('overdue');
    expect(said.sentence).not.toMatch(/as planned/);
    expect(said.sentence).toMatch(/contact the care team/);
  });

  it('says so when nothing has been taken', () => {
    expect(limitedReadingsInWords(null, NOW)).toEqual({
      state: 'none',
      sentence: 'No readings have been taken yet.',
    });
  });
});
