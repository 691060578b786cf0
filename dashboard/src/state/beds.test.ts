import type { BedState } from '@wardline/protocol';
import { describe, expect, it } from 'vitest';
import { bed, bp, iso, observationEvent } from '../testing/fixtures.js';
import { MINUTE } from '../lib/time.js';
import {
  applyBedChanged,
  applyDeviceStatus,
  applyFallsRisk,
  applyGatewayStatus,
  applyObservation,
  applyObservations,
  applyWardEvent,
  sortBeds,
} from './beds.js';

describe('applyObservation', () => {
  it('merges a new reading into latest by kind', () => {
    const beds = [bed({ observations: [bp(iso(10 * MINUTE), 120, 80)] })];
    const reading = bp(iso(MINUTE), 132, 84);
    const result = applyObservation(beds, observationEvent(reading));
    expect(result.resync).toBe(false);
    expect(result.beds[0]?.latest.blood_pressure?.observation).toBe(reading);
    expect(beds[0]?.latest.blood_pressure?.observation).not.toBe(reading); // immutable
  });

  it('does not let an older, late reading overwrite a newer one', () => {
    const beds = [bed({ observations: [bp(iso(MINUTE), 120, 80)] })];
    const result = applyObservation(beds, observationEvent(bp(iso(10 * MINUTE), 150, 95)));
    expect(result.beds).toBe(beds);
  });

  it('asks for a resync when the patient is not the one in that bed', () => {
    const beds = [bed()];
    const result = applyObservation(
      beds,
      observationEvent(bp(iso(0), 120, 80), { patientId: 'someone-else' }),
    );
    expect(result).toEqual({ beds, resync: true });
  });

  it('asks for a resync for an unknown bed', () => {
    const beds = [bed()];
    expect(applyObservation(beds, observationEvent(bp(iso(0), 120, 80), { bedId: 'bed-9' })).resync).toBe(
      true,
    );
  });

  it('ignores events for another ward', () => {
    const beds = [bed()];
    const ev = observationEvent(bp(iso(0), 120, 80), { wardId: 'ward-2' });
    expect(
      applyWardEvent(beds, 'ward-1', {
        type: 'observations',
        event: { wardId: 'ward-2', observations: [ev] },
      }),
    ).toEqual({ beds, resync: false });
  });
});

describe('a batch of readings', () => {
  const twoBeds = () => [
    bed(),
    bed({
      bedId: 'bed-2',
      label: 'Bed 2',
      patient: { id: 'patient-2', displayName: 'John Smith', wardId: 'ward-1', bedId: 'bed-2' },
    }),
  ];

  it('applies every reading of the batch in order, the newest of each kind kept', () => {
    const beds = twoBeds();
    const first = bp(iso(5 * MINUTE), 120, 80);
    const later = bp(iso(MINUTE), 140, 90);
    const other = bp(iso(2 * MINUTE), 110, 70);
    const result = applyWardEvent(beds, 'ward-1', {
      type: 'observations',
      event: {
        wardId: 'ward-1',
        observations: [
          observationEvent(first),
          observationEvent(other, { bedId: 'bed-2', patientId: 'patient-2' }),
          observationEvent(later),
        ],
      },
    });
    expect(result.resync).toBe(false);
    expect(result.beds[0]?.latest.blood_pressure?.observation).toBe(later);
    expect(result.beds[1]?.latest.blood_pressure?.observation).toBe(other);
    expect(beds[0]?.latest.blood_pressure).toBeUndefined(); // immutable
  });

  it('asks for a resync when one reading does not fit, and still applies the rest', () => {
    const beds = twoBeds();
    const reading = bp(iso(0), 120, 80);
    const result = applyObservations(beds, {
      wardId: 'ward-1',
      observations: [observationEvent(bp(iso(0), 130, 85), { bedId: 'bed-9' }), observationEvent(reading)],
    });
    expect(result.resync).toBe(true);
    expect(result.beds[0]?.latest.blood_pressure?.observation).toBe(reading);
  });

  it('returns the same beds when no reading of the batch changes anything', () => {
    const beds = [bed({ observations: [bp(iso(MINUTE), 120, 80)] })];
    const older = observationEvent(bp(iso(10 * MINUTE), 150, 95));
    expect(applyObservations(beds, { wardId: 'ward-1', observations: [older, older] }).beds).toBe(beds);
  });
});

describe('device and gateway status', () => {
  const device: BedState['devices'][number] = {
    deviceId: 'ble-aa:bb:cc:dd:ee:ff',
    model: 'UA-651BLE',
    gatewayId: 'gw-1',
    status: { deviceId: 'ble-aa:bb:cc:dd:ee:ff', connected: true, lastSeen: iso(5 * MINUTE) },
  };

  it('updates a device status', () => {
    const beds = [bed({ devices: [device] })];
    const status = { deviceId: device.deviceId, connected: false, lastSeen: iso(0) };
    const result = applyDeviceStatus(beds, { wardId: 'ward-1', bedId: 'bed-1', status });
    expect(result.beds[0]?.devices[0]?.status).toBe(status);
  });

  it('marks beds behind a gateway offline', () => {
    const beds = [bed({ gateway: { id: 'gw-1', status: null } }), bed({ bedId: 'bed-2', label: 'Bed 2' })];
    const status = { v: 1 as const, state: 'offline' as const, at: iso(0) };
    const result = applyGatewayStatus(beds, { wardId: 'ward-1', gatewayId: 'gw-1', status });
    expect(result.beds[0]?.gateway?.status).toBe(status);
    expect(result.beds[1]).toBe(beds[1]);
  });
});

describe('sortBeds', () => {
  it('sorts labels naturally', () => {
    const labels = ['Bed 10', 'Bed 2', 'Bed 1'].map((label, i) => bed({ bedId: `b${i}`, label }));
    expect(sortBeds(labels).map((b) => b.label)).toEqual(['Bed 1', 'Bed 2', 'Bed 10']);
  });
});

describe('applyBedChanged', () => {
  const edith = { id: 'patient-2', displayName: 'Edith Clarke', wardId: 'ward-1', bedId: 'bed-1' };

  it('shows a new occupant at once, without the previous one’s readings, and resyncs for devices', () => {
    const beds = [bed({ observations: [bp(iso(MINUTE), 120, 80)] })];
    const result = applyBedChanged(beds, { wardId: 'ward-1', bedId: 'bed-1', patient: edith });
    expect(result.resync).toBe(true);
    expect(result.beds[0]).toMatchObject({ patient: edith, latest: {}, devices: [], fallsRisk: null });
  });

  it('empties a bed on discharge and renames in place', () => {
    const beds = [bed()];
    expect(
      applyBedChanged(beds, { wardId: 'ward-1', bedId: 'bed-1', patient: null }).beds[0]?.patient,
    ).toBeNull();
    const renamed = applyBedChanged(beds, {
      wardId: 'ward-1',
      bedId: 'bed-1',
      patient: { ...beds[0]!.patient!, displayName: 'Jane Smyth' },
    });
    expect(renamed.resync).toBe(false);
    expect(renamed.beds[0]?.patient?.displayName).toBe('Jane Smyth');
    expect(applyBedChanged(beds, { wardId: 'ward-1', bedId: 'bed-1', patient: beds[0]!.patient })).toEqual({
      beds,
      resync: false,
    });
  });

  it('resyncs for a bed it does not know, and ignores other wards', () => {
    const beds = [bed()];
    expect(applyBedChanged(beds, { wardId: 'ward-1', bedId: 'bed-9', patient: null }).resync).toBe(true);
    expect(
      applyWardEvent(beds, 'ward-1', {
        type: 'bedChanged',
        event: { wardId: 'ward-2', bedId: 'bed-1', patient: null },
      }),
    ).toEqual({ beds, resync: false });
  });
});

describe('applyFallsRisk', () => {
  const flag = (testId: number, atRiskOfFalls: boolean) => ({
    atRiskOfFalls,
    testId,
    testedAt: iso(MINUTE),
    findings: atRiskOfFalls ? ['systolic fell 22 mmHg at 1 minute standing'] : [],
  });
  const event = (testId: number, atRiskOfFalls: boolean, patientId = 'patient-1') => ({
    wardId: 'ward-1',
    bedId: 'bed-1',
    patientId,
    fallsRisk: flag(testId, atRiskOfFalls),
  });

  it("sets the resident's flag, and a later negative test clears it", () => {
    const beds = [bed()];
    const flagged = applyWardEvent(beds, 'ward-1', { type: 'fallsRisk', event: event(1, true) });
    expect(flagged.resync).toBe(false);
    expect(flagged.beds[0]?.fallsRisk).toEqual(flag(1, true));
    expect(beds[0]?.fallsRisk).toBeUndefined(); // immutable
    expect(applyFallsRisk(flagged.beds, event(2, false)).beds[0]?.fallsRisk?.atRiskOfFalls).toBe(false);
  });

  it('ignores an older test arriving late, and resyncs when the resident is not the one shown', () => {
    const beds = [bed({ fallsRisk: flag(5, false) })];
    expect(applyFallsRisk(beds, event(4, true))).toEqual({ beds, resync: false });
    expect(applyFallsRisk(beds, event(6, true, 'someone-else'))).toEqual({ beds, resync: true });
  });
});
