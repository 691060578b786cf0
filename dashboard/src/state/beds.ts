import type {
  BedChangedEvent,
  BedState,
  DeviceStatusEvent,
  FallsRiskEvent,
  GatewayStatusEvent,
  LatestObservation,
  ObservationBatchEvent,
  ObservationEvent,
} from '@wardline/protocol';
import { parseTime } from '../lib/time.js';

/**
 * Applies live socket events to a ward's bed list. Pure and immutable: an event that changes
 * nothing returns the same array, so React skips the re-render. When an event does not fit what we
 * hold (a bed we do not know, a patient who is not in that bed, a device that moved) the only safe
 * answer is a full resync from the server, never a guess.
 */

export type WardEvent =
  | { type: 'observations'; event: ObservationBatchEvent }
  | { type: 'deviceStatus'; event: DeviceStatusEvent }
  | { type: 'gatewayStatus'; event: GatewayStatusEvent }
  | { type: 'bedChanged'; event: BedChangedEvent }
  | { type: 'fallsRisk'; event: FallsRiskEvent };

export interface ApplyResult {
  beds: BedState[];
  /** The event contradicts the snapshot: fetch the ward again. */
  resync: boolean;
}

const unchanged = (beds: BedState[]): ApplyResult => ({ beds, resync: false });
const resync = (beds: BedState[]): ApplyResult => ({ beds, resync: true });

function replaceAt(beds: BedState[], index: number, bed: BedState): BedState[] {
  const next = beds.slice();
  next[index] = bed;
  return next;
}

const collator = new Intl.Collator('en-GB', { numeric: true, sensitivity: 'base' });

/** Natural order by label: Bed 2 before Bed 10. */
export function sortBeds(beds: readonly BedState[]): BedState[] {
  return [...beds].sort((a, b) => collator.compare(a.label, b.label) || collator.compare(a.bedId, b.bedId));
}

/** Keeps the newest observation of each kind; a late, older reading does not overwrite a newer one. */
export function applyObservation(beds: BedState[], e: ObservationEvent): ApplyResult {
  const index =
    e.bedId !== null
      ? beds.findIndex((b) => b.bedId === e.bedId)
      : beds.findIndex((b) => b.patient?.id === e.patientId);
  const bed = beds[index];
  if (!bed) return e.bedId !== null ? resync(beds) : unchanged(beds);
  // A reading for someone else than the resident we show in that bed: our view is out of date.
  if (bed.patient?.id !== e.patientId || e.bedId === null) return resync(beds);

  const kind = e.observation.kind;
  const current = bed.latest[kind];
  if (current) {
    if (current.observation.id === e.observation.id) return unchanged(beds);
    const currentAt = parseTime(current.observation.measuredAt);
    const incomingAt = parseTime(e.observation.measuredAt);
    if (currentAt !== null && (incomingAt === null || incomingAt < currentAt)) return unchanged(beds);
  }
  const entry: LatestObservation = { observation: e.observation, receivedAt: e.receivedAt };
  return {
    beds: replaceAt(beds, index, { ...bed, latest: { ...bed.latest, [kind]: entry } }),
    resync: false,
  };
}

/**
 * A committed group's readings for the ward, in commit order, as one change (one render): each as
 * applyObservation would, a resync asked for if any one of them asks.
 */
export function applyObservations(beds: BedState[], batch: ObservationBatchEvent): ApplyResult {
  let next = beds;
  let needsResync = false;
  for (const e of batch.observations) {
    const result = applyObservation(next, e);
    next = result.beds;
    needsResync ||= result.resync;
  }
  return { beds: next, resync: needsResync };
}

export function applyDeviceStatus(beds: BedState[], e: DeviceStatusEvent): ApplyResult {
  const { deviceId } = e.status;
  const index = beds.findIndex((b) => b.devices.some((d) => d.deviceId === deviceId));
  const bed = beds[index];
  if (!bed) return e.bedId !== null ? resync(beds) : unchanged(beds);
  if (bed.bedId !== e.bedId) return resync(beds); // the device was moved or unassigned

  const devices = bed.devices.map((d) => {
    if (d.deviceId !== deviceId) return d;
    const currentAt = parseTime(d.status?.lastSeen);
    const incomingAt = parseTime(e.status.lastSeen);
    if (currentAt !== null && incomingAt !== null && incomingAt < currentAt) return d;
    return { ...d, status: e.status };
  });
  if (devices.every((d, i) => d === bed.devices[i])) return unchanged(beds);
  return { beds: replaceAt(beds, index, { ...bed, devices }), resync: false };
}

export function applyGatewayStatus(beds: BedState[], e: GatewayStatusEvent): ApplyResult {
  const incomingAt = parseTime(e.status.at);
  let next = beds;
  beds.forEach((bed, index) => {
    if (bed.gateway?.id !== e.gatewayId) return;
    const currentAt = parseTime(bed.gateway.status?.at);
    if (currentAt !== null && incomingAt !== null && incomingAt < currentAt) return;
    if (next === beds) next = beds.slice();
    next[index] = { ...bed, gateway: { id: e.gatewayId, status: e.status } };
  });
  return unchanged(next);
}

/**
 * An admission, discharge or rename made through the API. The bed shows its new occupant at once
 * (without the previous one's readings or devices); a change of occupant also asks for a resync,
 * which brings the devices of someone re-admitted with theirs.
 */
export function applyBedChanged(beds: BedState[], e: BedChangedEvent): ApplyResult {
  const index = beds.findIndex((b) => b.bedId === e.bedId);
  const bed = beds[index];
  if (!bed) return resync(beds); // a bed added since the snapshot
  if ((bed.patient?.id ?? null) === (e.patient?.id ?? null)) {
    if (!e.patient || bed.patient?.displayName === e.patient.displayName) return unchanged(beds);
    return unchanged(replaceAt(beds, index, { ...bed, patient: e.patient }));
  }
  return {
    beds: replaceAt(beds, index, { ...bed, patient: e.patient, latest: {}, devices: [], fallsRisk: null }),
    resync: true,
  };
}

/** A postural test recorded for a resident: their bed's falls-risk flag follows the latest test. */
export function applyFallsRisk(beds: BedState[], e: FallsRiskEvent): ApplyResult {
  const index = e.bedId !== null ? beds.findIndex((b) => b.bedId === e.bedId) : -1;
  const bed = beds[index];
  if (!bed) return e.bedId !== null ? resync(beds) : unchanged(beds);
  if (bed.patient?.id !== e.patientId) return resync(beds);
  // Test ids grow: an event overtaken by a newer snapshot or event changes nothing.
  if (bed.fallsRisk && bed.fallsRisk.testId >= e.fallsRisk.testId) return unchanged(beds);
  return unchanged(replaceAt(beds, index, { ...bed, fallsRisk: e.fallsRisk }));
}

/** Applies an event for `wardId`; events for any other ward are ignored. */
export function applyWardEvent(beds: BedState[], wardId: string, ev: WardEvent): ApplyResult {
  if (ev.event.wardId !== wardId) return unchanged(beds);
  switch (ev.type) {
    case 'observations':
      return applyObservations(beds, ev.event);
    case 'deviceStatus':
      return applyDeviceStatus(beds, ev.event);
    case 'gatewayStatus':
      return applyGatewayStatus(beds, ev.event);
    case 'bedChanged':
      return applyBedChanged(beds, ev.event);
    case 'fallsRisk':
      return applyFallsRisk(beds, ev.event);
  }
}
