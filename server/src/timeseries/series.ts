import { ucumCode, valuesSchemas, type Observation, type Unit } from '@wardline/protocol';

/**
 * The time-series schema, shared by both adapters and the spool.
 *
 * - measurement: the observation kind (`blood_pressure`, `spo2`, ...): a handful, fixed by the contract.
 * - tags: `patient` (the pseudonymous patient id, never a name) and `device` (the device id).
 *   Cardinality is patients x their devices x kinds; no free text, no observation ids.
 * - fields: one float per numeric component, named after it (`systolic`, `diastolic`, `pulseRate`,
 *   ...), always in the component's one canonical unit (the contract fixes it, so the unit is not
 *   stored per point), plus `seq` (integer): the gateway sequence number, for stable ordering.
 * - timestamp: nanoseconds = the measured instant (ms, as stored) x 10^6 + a collision index,
 *   so that two observations of one kind from one device at the same instant stay two points,
 *   while the same observation written again lands on the same series and time and overwrites.
 */
export interface SeriesField {
  name: string;
  unit: Unit;
  ucum: string;
}

interface JsonSchemaNode {
  properties?: Record<string, JsonSchemaNode>;
  type?: string;
  const?: string;
}

/** Numeric quantity components of each kind, read from the contract schema so new kinds follow. */
export function seriesFields(kind: string): SeriesField[] {
  const schema = (valuesSchemas as Record<string, JsonSchemaNode>)[kind];
  const fields: SeriesField[] = [];
  for (const [name, node] of Object.entries(schema?.properties ?? {})) {
    const value = node.properties?.value;
    const unit = node.properties?.unit?.const as Unit | undefined;
    if (value?.type === 'number' && unit) fields.push({ name, unit, ucum: ucumCode[unit] });
  }
  return fields;
}

export function numericValues(observation: Observation): Record<string, number> {
  const values = observation.values as Record<string, unknown>;
  const result: Record<string, number> = {};
  for (const field of seriesFields(observation.kind)) {
    const component = values[field.name] as { value?: unknown } | undefined;
    if (typeof component?.value === 'number') result[field.name] = component.value;
  }
  return result;
}

const escapeKey = (s: string) => s.replace(/[,= \\]/g, (c) => `\\${c}`);

/** Nanoseconds since the epoch as a decimal string (beyond 2^53, so never a JS number). */
export function timestampNs(measuredAt: string, collisionIndex: number): string {
  return (BigInt(Date.parse(measuredAt)) * 1_000_000n + BigInt(collisionIndex)).toString();
}

export function formatFloat(value: number): string {
  // Integers still go as floats: a field's type is fixed by its first write in InfluxDB.
  return Number.isInteger(value) ? `${value}.0` : String(value);
}

/** One line of InfluxDB line protocol for an observation. */
export function toLine(observation: Observation, patientId: string | null, collisionIndex: number): string {
  const tags = [
    ...(patientId ? [`patient=${escapeKey(patientId)}`] : []),
    `device=${escapeKey(observation.deviceId)}`,
  ];
  const fields = Object.entries(numericValues(observation)).map(
    ([name, value]) => `${escapeKey(name)}=${formatFloat(value)}`,
  );
  fields.push(`seq=${observation.seq}i`);
  return `${escapeKey(observation.kind)},${tags.join(',')} ${fields.join(',')} ${timestampNs(
    observation.measuredAt,
    collisionIndex,
  )}`;
}
