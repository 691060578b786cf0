import type { Alert } from '@wardline/protocol';
import { describe, expect, it } from 'vitest';
import { compareAlerts, compareRisk, mergeAlert, needsAttention, partialText } from './alerts.js';

const alert = (over: Partial<Alert>): Alert => ({
  id: 1,
  condition: 'fall',
  priority: 'critical',
  state: 'open',
  title: 'Fall detected',
  message: '',
  patientId: 'p1',
  wardId: 'w',
  deviceId: null,
  gatewayId: null,
  detail: null,
  openedAt: '2026-01-01T10:00:00.000Z',
  triggerMeasuredAt: null,
  updatedAt: '2026-01-01T10:00:00.000Z',
  occurrences: 1,
  level: 1,
  levelName: 'ward team',
  nextEscalationAt: null,
  acknowledgedAt: null,
  acknowledgedBy: null,
  resolvedAt: null,
  resolvedBy: null,
  resolutionNote: null,
  limited: false,
  ...over,
});

describe('mergeAlert', () => {
  it('never lets an older copy undo a newer transition', () => {
    const acked = alert({ state: 'acknowledged', updatedAt: '2026-01-01T10:01:00.000Z' });
    const map = mergeAlert(new Map(), acked);
    expect(mergeAlert(map, alert({}))).toBe(map);
    expect(mergeAlert(map, alert({ state: 'open', updatedAt: acked.updatedAt }))).toBe(map);
    const resolved = alert({ state: 'resolved', updatedAt: '2026-01-01T10:02:00.000Z' });
    expect(mergeAlert(map, resolved).get(1)?.state).toBe('resolved');
  });
});

describe('ordering', () => {
  it('keeps every critical alert above every high one, acknowledged or not; open first within a priority', () => {
    const list = [
      alert({ id: 1, state: 'acknowledged' }),
      alert({ id: 2, priority: 'low' }),
      alert({ id: 3, priority: 'high' }),
      alert({ id: 4, priority: 'high', state: 'acknowledged' }),
      alert({ id: 5 }),
      alert({ id: 6, state: 'resolved' }),
    ].sort(compareAlerts);
    expect(list.map((a) => a.id)).toEqual([5, 1, 3, 4, 2, 6]);
  });

  it('sorts beds: critical alerts, then NEWS2 band, then label (naturally)', () => {
    const beds = [
      { label: 'Bed 10', alerts: [], news2: { risk: 'low', score: 0 } },
      { label: 'Bed 2', alerts: [], news2: null },
      { label: 'Bed 3', alerts: [], news2: { risk: 'medium', score: 5 } },
      { label: 'Bed 9', alerts: [alert({ priority: 'critical' })], news2: null },
      { label: 'Bed 4', alerts: [], news2: { risk: 'low-medium', score: 3 } },
    ];
    expect(beds.sort(compareRisk).map((b) => b.label)).toEqual([
      'Bed 9',
      'Bed 3',
      'Bed 4',
      'Bed 2',
      'Bed 10',
    ]);
    expect(beds.map(needsAttention)).toEqual([true, true, true, false, false]);
  });
});

describe('partialText', () => {
  it('names what is missing in words, not field names', () => {
    expect(partialText({ complete: false, missing: ['respirationRate', 'consciousness'] })).toBe(
      'partial: respiration rate and consciousness (ACVPU) not recorded',
    );
    expect(partialText({ complete: false, missing: ['respirationRate', 'spo2', 'airOrOxygen'] })).toBe(
      'partial: respiration rate, SpO2 and air or oxygen not recorded',
    );
    expect(partialText({ complete: false, missing: ['temperature'] })).toBe(
      'partial: temperature not recorded',
    );
    expect(partialText({ complete: true, missing: [] })).toBeNull();
  });
});
