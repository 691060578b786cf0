/**
 * The shape of a simulated fleet: N gateways, each a home or care-home floor with R residents,
 * each resident wearing a kit of devices, grouped into wards of at most `bedsPerWard` beds.
 * Everything is derived from the options and the seed, so two runs with the same options
 * build the same fleet (ids, scenarios, credentials' user names) without sharing any state.
 *
 * The wards have the server's seed shape (ward -> gateways -> residents -> devices), so a
 * benchmark can register the same fleet on the server that it then drives over MQTT.
 */
import { Rng, mixSeed } from '../prng.js';
import type { ScenarioName } from '../scenarios.js';

export type FleetDeviceModel = 'bp-cuff' | 'pulse-oximeter' | 'thermometer' | 'falls-sensor';

export const DEFAULT_KIT: readonly FleetDeviceModel[] = [
  'bp-cuff',
  'pulse-oximeter',
  'thermometer',
  'falls-sensor',
];

export interface FleetOptions {
  gateways: number;
  residentsPerGateway: number;
  seed: number;
  /** Beds per ward; gateways are never split across wards. Default 200. */
  bedsPerWard?: number;
  /** Devices each resident wears. Default: cuff, oximeter, thermometer, falls sensor. */
  kit?: readonly FleetDeviceModel[];
  /** Share of residents whose vitals slowly deteriorate. Default 0.1. */
  deterioratingShare?: number;
  /** Share of residents with stage 2 hypertension. Default 0.2. */
  hypertensiveShare?: number;
}

export interface FleetDevice {
  id: string;
  model: FleetDeviceModel;
}

export interface FleetResident {
  /** 0-based over the whole fleet. */
  index: number;
  /** 1-based bed number within the ward. */
  number: number;
  scenario: Exclude<ScenarioName, 'fall'>;
  devices: FleetDevice[];
}

export interface FleetGateway {
  /** 0-based over the whole fleet. */
  index: number;
  site: string;
  gateway: string;
  /** The broker user name: `{site}.{gateway}`, as the broker's user file names gateways. */
  username: string;
  wardId: string;
  residents: FleetResident[];
}

export interface FleetWard {
  id: string;
  name: string;
  kind: 'virtual_ward';
  site: string;
  gateways: FleetGateway[];
}

export interface FleetPlan {
  options: Required<FleetOptions>;
  wards: FleetWard[];
  gateways: FleetGateway[];
  residents: FleetResident[];
}

const MODEL_CODE: Record<FleetDeviceModel, string> = {
  'bp-cuff': 'b1',
  'pulse-oximeter': '5a',
  thermometer: '7e',
  'falls-sensor': 'fa',
};

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** A BLE-style address unique to (model, resident): f1:{model}:{resident index as 4 bytes}. */
export function fleetDeviceId(model: FleetDeviceModel, residentIndex: number): string {
  const hex = (residentIndex >>> 0).toString(16).padStart(8, '0');
  return `f1:${MODEL_CODE[model]}:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}:${hex.slice(6, 8)}`;
}

export function planFleet(options: FleetOptions): FleetPlan {
  const o: Required<FleetOptions> = {
    bedsPerWard: 200,
    kit: DEFAULT_KIT,
    deterioratingShare: 0.1,
    hypertensiveShare: 0.2,
    ...options,
  };
  if (o.gateways < 1 || o.residentsPerGateway < 1) throw new Error('a fleet needs gateways and residents');
  const gatewaysPerWard = Math.max(1, Math.floor(o.bedsPerWard / o.residentsPerGateway));
  const rng = new Rng(mixSeed(o.seed, 0xf1ee7));
  const wards: FleetWard[] = [];
  const gateways: FleetGateway[] = [];
  const residents: FleetResident[] = [];
  for (let g = 0; g < o.gateways; g++) {
    const wardIndex = Math.floor(g / gatewaysPerWard);
    let ward = wards[wardIndex];
    if (!ward) {
      const site = `fleet-w${pad(wardIndex + 1, 4)}`;
      ward = { id: site, name: `Fleet ward ${wardIndex + 1}`, kind: 'virtual_ward', site, gateways: [] };
      wards.push(ward);
    }
    const gateway = `gw-${pad(g + 1, 6)}`;
    const homeResidents: FleetResident[] = [];
    for (let r = 0; r < o.residentsPerGateway; r++) {
      const index = residents.length;
      const draw = rng.next();
      const scenario =
        draw < o.deterioratingShare
          ? 'deteriorating'
          : draw < o.deterioratingShare + o.hypertensiveShare
            ? 'hypertensive'
            : 'normal';
      const resident: FleetResident = {
        index,
        number: ward.gateways.length * o.residentsPerGateway + r + 1,
        scenario,
        devices: o.kit.map((model) => ({ id: fleetDeviceId(model, index), model })),
      };
      homeResidents.push(resident);
      residents.push(resident);
    }
    const fleetGateway: FleetGateway = {
      index: g,
      site: ward.site,
      gateway,
      username: `${ward.site}.${gateway}`,
      wardId: ward.id,
      residents: homeResidents,
    };
    ward.gateways.push(fleetGateway);
    gateways.push(fleetGateway);
  }
  return { options: o, wards, gateways, residents };
}
