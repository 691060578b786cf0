/**
 * The simulated world that `npm start` brings up: one care home with a gateway for the
 * building, and one virtual ward whose patients each have a gateway at home. Device ids are
 * BLE-style addresses; the server's demo seed registers the same ids, so the two agree
 * without any shared state.
 *
 * Every resident has a blood pressure cuff and a falls sensor. Some (half the virtual ward and a
 * third of the care home, the deteriorating ones among them) also have a pulse oximeter and a
 * thermometer and are on NEWS2 rounds: staff record respiration rate, consciousness and oxygen for
 * them, so their NEWS2 is complete. The others' NEWS2 stays partial, as on a real ward where not
 * everyone is on full observations.
 */
export type DemoScenario = 'normal' | 'hypertensive' | 'deteriorating' | 'fall';

export interface DemoDevice {
  id: string;
  model: 'bp-cuff' | 'falls-sensor' | 'pulse-oximeter' | 'thermometer';
}

export interface DemoResident {
  /** 1-based position within the ward, used for bed labels. */
  number: number;
  scenario: DemoScenario;
  devices: DemoDevice[];
}

export interface DemoGateway {
  site: string;
  gateway: string;
  residents: DemoResident[];
}

export interface DemoWard {
  id: string;
  name: string;
  kind: 'care_home' | 'virtual_ward';
  site: string;
  gateways: DemoGateway[];
}

const hex = (n: number) => n.toString(16).padStart(2, '0');

function resident(siteIndex: number, number: number, scenario: DemoScenario, rounds: boolean): DemoResident {
  const suffix = `${hex(siteIndex)}:00:${hex(number)}`;
  const devices: DemoDevice[] = [
    { id: `d0:b1:00:${suffix}`, model: 'bp-cuff' },
    { id: `d0:fa:00:${suffix}`, model: 'falls-sensor' },
  ];
  if (rounds)
    devices.push(
      { id: `d0:5a:00:${suffix}`, model: 'pulse-oximeter' },
      { id: `d0:7e:00:${suffix}`, model: 'thermometer' },
    );
  return { number, scenario, devices };
}

/** Whether a resident has every device NEWS2 takes a reading from (and so is on NEWS2 rounds). */
export function onNews2Rounds(resident: DemoResident): boolean {
  const models = new Set(resident.devices.map((d) => d.model));
  return models.has('pulse-oximeter') && models.has('thermometer');
}

/** The server's demo patient id for a resident (server/src/demo/seed.ts makes the same). */
export function demoPatientId(ward: { id: string }, resident: { number: number }): string {
  return `${ward.id}-p${String(resident.number).padStart(3, '0')}`;
}

const CARE_HOME_SCENARIOS: DemoScenario[] = [
  'normal',
  'hypertensive',
  'normal',
  'deteriorating',
  'normal',
  'fall',
  'normal',
  'hypertensive',
  'normal',
  'normal',
  'normal',
  'normal',
];
/** Rooms on NEWS2 rounds: the deteriorating resident, the one who falls, two others. */
const CARE_HOME_ROUNDS = new Set([1, 2, 4, 6]);
const VIRTUAL_WARD_SCENARIOS: DemoScenario[] = [
  'normal',
  'deteriorating',
  'hypertensive',
  'normal',
  'fall',
  'normal',
];
/** Homes on NEWS2 rounds (Home 4 stays without a thermometer: README's reading of your own). */
const VIRTUAL_WARD_ROUNDS = new Set([1, 2, 3]);

export function demoFleet(): DemoWard[] {
  return [
    {
      id: 'larkspur-house',
      name: 'Larkspur House',
      kind: 'care_home',
      site: 'larkspur',
      gateways: [
        {
          site: 'larkspur',
          gateway: 'gw-01',
          residents: CARE_HOME_SCENARIOS.map((scenario, i) =>
            resident(1, i + 1, scenario, CARE_HOME_ROUNDS.has(i + 1)),
          ),
        },
      ],
    },
    {
      id: 'virtual-ward-north',
      name: 'Virtual Ward North',
      kind: 'virtual_ward',
      site: 'vw-north',
      gateways: VIRTUAL_WARD_SCENARIOS.map((scenario, i) => ({
        site: 'vw-north',
        gateway: `home-${String(i + 1).padStart(2, '0')}`,
        residents: [resident(2, i + 1, scenario, VIRTUAL_WARD_ROUNDS.has(i + 1))],
      })),
    },
  ];
}
