import type { BedChangedEvent } from '@wardline/protocol';
import { EventEmitter } from 'node:events';
import type { WardRepository } from '../db/ward-repository.js';

/**
 * Admissions, discharges and device assignments made through the API, announced so that open
 * screens update at once instead of at their next reading or resync.
 */
export function createBedChanges() {
  const emitter = new EventEmitter();
  return {
    announce(wards: WardRepository, bedId: string | null): void {
      const bed = bedId ? wards.bed(bedId) : undefined;
      if (!bed) return;
      const occupant = wards.bedOccupant(bed.id);
      const event: BedChangedEvent = {
        wardId: bed.wardId,
        bedId: bed.id,
        patient: occupant ? (wards.patient(occupant) ?? null) : null,
      };
      emitter.emit('bedChanged', event);
    },
    subscribe(listener: (event: BedChangedEvent) => void): () => void {
      emitter.on('bedChanged', listener);
      return () => emitter.off('bedChanged', listener);
    },
  };
}
export type BedChanges = ReturnType<typeof createBedChanges>;
