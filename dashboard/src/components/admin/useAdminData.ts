import type { Assignment, BedState, DeviceState, Ward } from '@wardline/protocol';
import { useCallback, useEffect, useState } from 'react';
import {
  describeError,
  listAssignments,
  listBeds,
  listDevices,
  listGateways,
  listWards,
  type GatewaySummary,
} from '../../api/client.js';
import { sortBeds } from '../../state/beds.js';

export interface Resident {
  patientId: string;
  displayName: string;
  bedId: string;
  bedLabel: string;
  wardId: string;
  wardName: string;
}

export interface FreeBed {
  bedId: string;
  label: string;
  wardName: string;
}

export interface AdminData {
  wards: Ward[];
  beds: BedState[];
  residents: Resident[];
  freeBeds: FreeBed[];
  devices: DeviceState[];
  assignments: Map<string, Assignment>;
  gateways: GatewaySummary[];
  /** Site codes known from wards and gateways, for the device form. */
  siteCodes: string[];
  loadedAt: number;
}

export type AdminState =
  | { status: 'loading'; data: AdminData | null }
  | { status: 'ready'; data: AdminData }
  | { status: 'failed'; data: AdminData | null; message: string };

/** Everything the admin screen shows except rejected messages, reloaded after every change. */
export function useAdminData(): [AdminState, () => Promise<void>] {
  const [state, setState] = useState<AdminState>({ status: 'loading', data: null });

  const load = useCallback(async (signal?: AbortSignal) => {
    setState((s) => ({ status: 'loading', data: s.data }));
    try {
      const [wards, devices, assignments, gateways] = await Promise.all([
        listWards(signal),
        listDevices(signal),
        listAssignments(signal),
        listGateways(signal),
      ]);
      const bedLists = await Promise.all(wards.map((w) => listBeds(w.id, signal)));
      const wardName = new Map(wards.map((w) => [w.id, w.name]));
      const beds = bedLists.flatMap((list) => sortBeds(list));
      const residents: Resident[] = [];
      const freeBeds: FreeBed[] = [];
      for (const b of beds) {
        const ward = wardName.get(b.wardId) ?? b.wardId;
        if (b.patient)
          residents.push({
            patientId: b.patient.id,
            displayName: b.patient.displayName,
            bedId: b.bedId,
            bedLabel: b.label,
            wardId: b.wardId,
            wardName: ward,
          });
        else freeBeds.push({ bedId: b.bedId, label: b.label, wardName: ward });
      }
      const siteCodes = [
        ...new Set([...wards.map((w) => w.siteCode), ...gateways.map((g) => g.siteCode)]),
      ].sort();
      if (signal?.aborted) return;
      setState({
        status: 'ready',
        data: {
          wards,
          beds,
          residents,
          freeBeds,
          devices,
          assignments: new Map(assignments.map((a) => [a.deviceId, a])),
          gateways,
          siteCodes,
          loadedAt: Date.now(),
        },
      });
    } catch (err) {
      if (signal?.aborted) return;
      setState((s) => ({ status: 'failed', data: s.data, message: describeError(err) }));
    }
  }, []);

  useEffect(() => {
    const abort = new AbortController();
    void load(abort.signal);
    return () => abort.abort();
  }, [load]);

  const reload = useCallback(() => load(), [load]);
  return [state, reload];
}
