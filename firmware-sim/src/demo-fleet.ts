/**
 * The simulated world that `npm start` brings up: one care home with a gateway for the
 * building, and one virtual ward whose patients each have a gateway at home. Device ids are
 * BLE-style addresses; the server's demo seed registers the same ids, so the two agree
 * without any shared state.
 */
export type DemoScenario = 'normal' | 'hypertensive' | 'deteriorating' | 'fall';

export interface DemoDevice {
  id: string;
  model: 'bp-cuff' | 'falls-sensor';
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

function resident(siteIndex: number, number: number, scenario: DemoScenario): DemoResident {
  const suffix = `${hex(siteIndex)}:00:${hex(number)}`;
  return {
    number,
    scenario,
    devices: [
      { id: `d0:b1:00:${suffix}`, model: 'bp-cuff' },
      { id: `d0:fa:00:${suffix}`, model: 'falls-sensor' },
    ],
  };
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
const VIRTUAL_WARD_SCENARIOS: DemoScenario[] = [
  'normal',
  'deteriorating',
  'hypertensive',
  'normal',
  'fall',
  'normal',
];

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
          residents: CARE_HOME_SCENARIOS.map((scenario, i) => resident(1, i + 1, scenario)),
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
        residents: [resident(2, i + 1, scenario)],
      })),
    },
  ];
}
