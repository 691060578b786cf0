import { describe, expect, it } from 'vitest';
import { bp, NOW, iso, oximetry } from '../testing/fixtures.js';
import { equipmentInWords, plainReadings } from './plain.js';
import { DAY, HOUR, MINUTE, formatAgoInWords } from './time.js';

const latestOf = (...obs: ReturnType<typeof bp>[]) =>
  Object.fromEntries(obs.map((o) => [o.kind, { observation: o, receivedAt: o.measuredAt }]));

describe('plainReadings', () => {
  it('says the reading with its unit and when it was taken, in words', () => {
    const latest = latestOf(bp(iso(2 * HOUR), 132, 84), oximetry(iso(5 * MINUTE), 97));
    const sentences = plainReadings(latest, NOW).map((r) => r.sentence);
    expect(sentences).toContain('Blood pressure 132/84 mmHg, taken 2 hours ago');
    expect(sentences).toContain('Oxygen level 97%, taken 5 minutes ago');
  });
});

describe('equipmentInWords', () => {
  it('distinguishes working, quiet and silent equipment', () => {
    expect(equipmentInWords({}, NOW).state).toBe('none');
    expect(equipmentInWords(latestOf(bp(iso(10 * MINUTE), 120, 80)), NOW)).toEqual({
      state: 'recent',
      sentence: 'The monitoring equipment is working. It last sent a reading 10 minutes ago.',
    });
    expect(equipmentInWords(latestOf(bp(iso(8 * HOUR), 120, 80)), NOW).state).toBe('quiet');
    expect(equipmentInWords(latestOf(bp(iso(3 * DAY), 120, 80)), NOW).sentence).toMatch(/over a day/);
  });
});

describe('formatAgoInWords', () => {
  it('uses singular and plural words', () => {
    expect(formatAgoInWords(NOW - 30_000, NOW)).toBe('just now');
    expect(formatAgoInWords(NOW - MINUTE, NOW)).toBe('1 minute ago');
    expect(formatAgoInWords(NOW - HOUR, NOW)).toBe('1 hour ago');
    expect(formatAgoInWords(NOW - 2 * DAY, NOW)).toBe('2 days ago');
  });
});
