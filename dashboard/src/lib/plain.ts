import type { LatestObservation } from '@wardline/protocol';
import { bloodPressure, pulse, spo2, temperature, type VitalReading } from './vitals.js';
import { DAY, HOUR, formatAgoInWords, parseTime } from './time.js';

/**
 * The family view's sentences: what the latest readings are and whether the equipment is
 * sending, in words a relative understands on a phone. No clinical judgement is made here; the
 * care team interprets readings.
 */

export interface PlainReading {
  key: 'bp' | 'pulse' | 'spo2' | 'temperature';
  sentence: string;
  measuredAt: number;
}

type Latest = Record<string, LatestObservation>;

/** The readers in vitals.ts take a bed; the family view only has the latest map. */
function asBed(latest: Latest) {
  return {
    bedId: '',
    label: '',
    wardId: '',
    patient: { id: '', displayName: '', wardId: null, bedId: null },
    latest,
    devices: [],
    gateway: null,
  };
}

export function plainReadings(latest: Latest, now: number): PlainReading[] {
  const bed = asBed(latest);
  const out: PlainReading[] = [];
  const add = (key: PlainReading['key'], name: string, r: VitalReading | null) => {
    if (r)
      out.push({
        key,
        sentence: `${name} ${r.text}, taken ${formatAgoInWords(r.measuredAt, now)}`,
        measuredAt: r.measuredAt,
      });
  };
  add('bp', 'Blood pressure', bloodPressure(bed, now));
  add('pulse', 'Pulse', pulse(bed, now));
  add('spo2', 'Oxygen level', spo2(bed, now));
  add('temperature', 'Temperature', temperature(bed, now));
  return out;
}

export type EquipmentState = 'none' | 'recent' | 'quiet' | 'silent';

export interface EquipmentSentence {
  state: EquipmentState;
  sentence: string;
}

/**
 * Whether the monitoring equipment is sending, judged from when a reading last arrived (the
 * family role cannot see device status). Readings are taken a few times a day, so a quiet
 * afternoon is normal; only more than a day without anything is worth mentioning.
 */
export function equipmentInWords(latest: Latest, now: number): EquipmentSentence {
  let newest: number | null = null;
  for (const entry of Object.values(latest)) {
    const at = parseTime(entry.receivedAt) ?? parseTime(entry.observation.measuredAt);
    if (at !== null && (newest === null || at > newest)) newest = at;
  }
  if (newest === null)
    return { state: 'none', sentence: 'No readings have been received from the monitoring equipment yet.' };
  const ago = formatAgoInWords(newest, now);
  if (now - newest <= 6 * HOUR)
    return {
      state: 'recent',
      sentence: `The monitoring equipment is working. It last sent a reading ${ago}.`,
    };
  if (now - newest <= DAY)
    return { state: 'quiet', sentence: `The monitoring equipment last sent a reading ${ago}.` };
  return {
    state: 'silent',
    sentence: `No reading has arrived for over a day (the last was ${ago}). The equipment may be switched off or out of reach. If you are worried, contact the care team.`,
  };
}
