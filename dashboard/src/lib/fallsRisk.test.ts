import { describe, expect, it } from 'vitest';
import { fallsRiskBadge } from './fallsRisk.js';

const risk = (atRiskOfFalls: boolean, findings: string[]) => ({
  atRiskOfFalls,
  testId: 1,
  testedAt: '2026-11-29T12:00:00.000Z',
  findings,
});

describe('the falls-risk badge', () => {
  it('names the risk and gives the test date and the drop', () => {
    expect(fallsRiskBadge(risk(true, ['systolic fell 22 mmHg at 1 minute standing']))).toEqual({
      label: 'Falls risk: postural drop',
      detail: 'Lying-then-standing test on 29 Nov 2026: systolic fell 22 mmHg at 1 minute standing',
    });
  });

  it('is absent when never tested or when the latest test was negative', () => {
    expect(fallsRiskBadge(null)).toBeNull();
    expect(fallsRiskBadge(undefined)).toBeNull();
    expect(fallsRiskBadge(risk(false, []))).toBeNull();
  });
});
