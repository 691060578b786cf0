import { isUnreliable, type News2Summary, type QualityFlag } from '@wardline/protocol';
import type { SqlDatabase } from '../db/engines/engine.js';
import {
  news2,
  type Acvpu,
  type News2Inputs,
  type News2Parameter,
  type News2Result,
  type SpO2Scale,
} from './news2.js';

interface LatestRow {
  kind: string;
  device_id: string;
  measured_at: string;
  values_json: string;
}

type Q = { value: number };

export interface Freshness {
  deviceVitalsMaxAgeMs: number;
  manualObservationsMaxAgeMs: number;
}

// Respiration rate, consciousness and oxygen come from staff entry; the rest from devices.
const MANUAL: ReadonlySet<News2Parameter> = new Set(['respirationRate', 'consciousness', 'airOrOxygen']);

interface Candidate {
  parameter: News2Parameter;
  value: number | string | boolean;
  measuredAt: string;
  source: string;
}

function candidates(row: LatestRow): Candidate[] {
  const v = JSON.parse(row.values_json) as Record<string, unknown>;
  const at = { measuredAt: row.measured_at, source: row.device_id };
  const q = (key: string) => (v[key] as Q | undefined)?.value;
  const out: Candidate[] = [];
  const add = (parameter: News2Parameter, value: number | string | boolean | undefined) => {
    if (value !== undefined) out.push({ parameter, value, ...at });
  };
  switch (row.kind) {
    case 'blood_pressure':
      add('systolic', q('systolic'));
      add('pulse', q('pulseRate'));
      break;
    case 'spo2':
      add('spo2', q('spo2'));
      add('pulse', q('pulseRate'));
      break;
    case 'heart_rate':
      add('pulse', q('heartRate'));
      break;
    case 'body_temperature':
      add('temperature', q('temperature'));
      break;
    case 'respiration_rate':
      add('respirationRate', q('respirationRate'));
      break;
    case 'consciousness':
      add('consciousness', v.acvpu as string);
      break;
    case 'inspired_oxygen':
      add('airOrOxygen', v.onOxygen as boolean);
      break;
  }
  return out;
}

export interface News2Snapshot {
  result: News2Result;
  summary: News2Summary;
}

/**
 * NEWS2 from each parameter's newest reading (pulse: newest of cuff, oximeter and heart-rate
 * sensor). A reading older than its freshness window is reported as stale and scored as missing,
 * never reused forever; a score with anything missing is partial and says so.
 */
export function createSnapshots(sql: SqlDatabase, freshness: Freshness) {
  type Stored = LatestRow & { quality_json: string | null };
  const reliable = (row: Stored) =>
    !row.quality_json || !isUnreliable({ quality: JSON.parse(row.quality_json) as QualityFlag[] });
  /** The newest reading of each kind that the device did not flag as unreliable (those never score). */
  async function latestReliable(patientId: string): Promise<LatestRow[]> {
    const rows = await sql.all<Stored>(
      `SELECT o.kind, o.device_id, o.measured_at, o.values_json, o.quality_json
         FROM latest_observations l JOIN observations o ON o.id = l.observation_id
        WHERE l.patient_id = ?`,
      [patientId],
    );
    const out: LatestRow[] = [];
    for (const row of rows) {
      if (reliable(row)) {
        out.push(row);
        continue;
      }
      const older = await sql.all<Stored>(
        `SELECT kind, device_id, measured_at, values_json, quality_json FROM observations
          WHERE patient_id = ? AND kind = ? AND measured_at < ? ORDER BY measured_at DESC LIMIT 50`,
        [patientId, row.kind, row.measured_at],
      );
      out.push(...older.filter(reliable).slice(0, 1));
    }
    return out;
  }
  return {
    async news2(patientId: string, scale: SpO2Scale, at: Date): Promise<News2Snapshot> {
      const newest = new Map<News2Parameter, Candidate>();
      for (const row of await latestReliable(patientId)) {
        for (const c of candidates(row)) {
          const known = newest.get(c.parameter);
          if (!known || c.measuredAt > known.measuredAt) newest.set(c.parameter, c);
        }
      }
      const inputs: News2Inputs = {};
      const used: Candidate[] = [];
      const stale: { parameter: string; measuredAt: string }[] = [];
      for (const [parameter, c] of newest) {
        const maxAge = MANUAL.has(parameter)
          ? freshness.manualObservationsMaxAgeMs
          : freshness.deviceVitalsMaxAgeMs;
        if (at.getTime() - Date.parse(c.measuredAt) > maxAge) {
          stale.push({ parameter, measuredAt: c.measuredAt });
          continue;
        }
        used.push(c);
        if (parameter === 'airOrOxygen') inputs.onOxygen = c.value as boolean;
        else if (parameter === 'consciousness') inputs.consciousness = c.value as Acvpu;
        else inputs[parameter] = c.value as number;
      }
      const result = news2(inputs, scale);
      return {
        result,
        summary: {
          patientId,
          at: at.toISOString(),
          score: result.score,
          complete: result.complete,
          risk: result.risk,
          spo2Scale: scale,
          parameters: used.map((c) => ({
            parameter: c.parameter,
            value: c.value,
            score: result.parameters[c.parameter] ?? 0,
            measuredAt: c.measuredAt,
            ageMinutes: Math.max(0, Math.round((at.getTime() - Date.parse(c.measuredAt)) / 60_000)),
            source: c.source,
          })),
          missing: result.missing,
          missingText: result.missingText,
          stale,
        },
      };
    },
  };
}
