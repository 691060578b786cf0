import { describe, expect, it } from 'vitest';
import { EMPTY_MANUAL_FORM, validateManual } from './manualObs.js';

describe('validateManual', () => {
  it('requires RR, ACVPU and air/oxygen, and checks ranges', () => {
    const r = validateManual({ ...EMPTY_MANUAL_FORM, spo2: '101' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(Object.keys(r.errors).sort()).toEqual(['consciousness', 'onOxygen', 'respirationRate', 'spo2']);
  });

  it('builds the request body, dropping flow when on air', () => {
    const r = validateManual({
      ...EMPTY_MANUAL_FORM,
      respirationRate: '18',
      consciousness: 'A',
      onOxygen: 'no',
      oxygenFlowRate: '2',
      systolic: '120',
      diastolic: '80',
    });
    expect(r).toEqual({
      ok: true,
      body: { respirationRate: 18, consciousness: 'A', onOxygen: false, systolic: 120, diastolic: 80 },
    });
  });

  it('wants both halves of a blood pressure', () => {
    const r = validateManual({
      ...EMPTY_MANUAL_FORM,
      respirationRate: '18',
      consciousness: 'A',
      onOxygen: 'yes',
      systolic: '120',
    });
    expect(r.ok).toBe(false);
  });
});
