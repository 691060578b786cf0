import type { BedChangedEvent, BedFallsRisk, FallsRiskEvent } from '@wardline/protocol';
import { EventEmitter } from 'node:events';
import type { WardRepository } from '../db/ward-repository.js';

/**
 * Admissions, discharges and device assignments made through the API, announced so that open
 * screens update at once instead of at their next reading or resync.
 */
export function createBedChanges() {
  const emitter = new EventEmitter();
  return {
    async announce(wards: WardRepository, bedId: string | null): Promise<void> {
      const bed = bedId ? await wards.bed(bedId) : undefined;
      if (!bed) return;
      const occupant = await wards.bedOccupant(bed.id);
      const event: BedChangedEvent = {
        wardId: bed.wardId,
        bedId: bed.id,
        patient: occupant ? ((await wards.patient(occupant)) ?? null) : null,
      };
      emitter.emit('bedChanged', event);
    },
    /** A resident's falls-risk flag changed (a postural test recorded): to their ward, if admitted. */
    async announceFallsRisk(
      wards: WardRepository,
      patientId: string,
      fallsRisk: BedFallsRisk,
    ): Promise<void> {
      const patient = await wards.patient(patientId);
      if (!patient?.wardId) return;
      const event: FallsRiskEvent = { wardId: patient.wardId, bedId: patient.bedId, patientId, fallsRisk };
      emitter.emit('fallsRisk', event);
    },
    subscribeFallsRisk(listener: (event: FallsRiskEvent) => void): () => void {
      emitter.on('fallsRisk', listener);
      return () => emitter.off('fallsRisk', listener);
    },
    subscribe(listener: (event: BedChangedEvent) => void): () => void {
      emitter.on('bedChanged', listener);
      return () => emitter.off('bedChanged', listener);
    },
  };
}
export type BedChanges = ReturnType<typeof createBedChanges>;
