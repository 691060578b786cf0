import { DAY, formatAbsolute, formatAgoInWords } from './time.js';

export type LimitedState = 'none' | 'as-planned' | 'overdue';

export interface LimitedSentence {
  state: LimitedState;
  sentence: string;
}

/**
 * What a relative without consent to clinical detail is told about readings: no values, no
 * judgement, only whether readings are arriving and when the last was taken. "As planned" means
 * only that one was taken within the last day: the page does not know the care plan, and a day
 * is the longest gap between the twice-daily readings a home would plan with a margin.
 */
export function limitedReadingsInWords(lastReadingAt: number | null, now: number): LimitedSentence {
  if (lastReadingAt === null) return { state: 'none', sentence: 'No readings have been taken yet.' };
  const when = `${formatAgoInWords(lastReadingAt, now)} (${formatAbsolute(lastReadingAt)})`;
  if (now - lastReadingAt <= DAY)
    return {
      state: 'as-planned',
      sentence: `Readings are being taken as planned. The last reading was taken ${when}.`,
    };
  return {
    state: 'overdue',
    sentence: `No reading has been taken for over a day; the last was taken ${when}. If you are worried, contact the care team.`,
  };
}
