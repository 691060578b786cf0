import type { BpReport } from '@wardline/protocol';
import { describe, expect, it } from 'vitest';
import { parsePressure, shareText, stageText } from './format.js';

describe('BP report wording', () => {
  it('reads a typed blood pressure, refusing what cannot be one', () => {
    expect(parsePressure(' 128 / 76 ')).toEqual({ systolic: 128, diastolic: 76 });
    expect(parsePressure('76/128')).toBeNull();
    expect(parsePressure('128')).toBeNull();
    expect(parsePressure('400/80')).toBeNull();
  });

  it('says why there is no stage, and the share at target in words', () => {
    const base = { stage: null, target: null, atTarget: null } as unknown as BpReport;
    expect(stageText(base)).toBe('Not staged: the home series is incomplete');
    expect(stageText({ ...base, stage: 'stage2' })).toBe('Stage 2 hypertension (from 150/95)');
    expect(shareText(base)).toBeNull();
    expect(
      shareText({
        ...base,
        target: { systolic: 145, diastolic: 85, basis: 'aged 85: 80 and over' },
        atTarget: { readings: 16, total: 20, share: 0.8 },
      }),
    ).toBe('80% of readings below 145/85 (16 of 20)');
  });
});
