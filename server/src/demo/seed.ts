import { hashPassword, type ScryptCost } from '@wardline/broker';
import type { ServerContext } from '../context.js';

/** The fleet shape the seed needs; firmware-sim's demoFleet() provides it. */
export interface SeedWard {
  id: string;
  name: string;
  kind: 'care_home' | 'virtual_ward';
  site: string;
  gateways: {
    site: string;
    gateway: string;
    residents: { number: number; devices: { id: string; model: string }[] }[];
  }[];
}

/** Fictional names: the demo must never resemble a real person's record. */
const SYNTHETIC_NAMES = [
  'Ada Thornfield',
  'Bernard Quill',
  'Cecily Marsh',
  'Desmond Albright',
  'Edith Fairweather',
  'Frank Holloway',
  'Gwen Pettigrew',
  'Harold Finch',
  'Iris Calloway',
  'Jasper Wren',
  'Kathleen Oakes',
  'Leonard Birch',
  'Mabel Sutton',
  'Norman Ashby',
  'Olive Pembridge',
  'Percy Lindqvist',
  'Rosa Kettering',
  'Stanley Moorcroft',
];

/**
 * Creates demo wards, beds, residents, gateways, devices and assignments, and three users
 * (admin, nurse, family of the first care-home resident) sharing one demo password.
 */
export async function seedDemo(
  ctx: ServerContext,
  fleet: SeedWard[],
  password: string,
  /** Tests lower the cost; verification reads it from the stored hash. */
  cost?: ScryptCost,
): Promise<void> {
  const at = new Date().toISOString();
  const passwordHash = await hashPassword(password, cost);
  let nameIndex = 0;
  let firstResident: string | null = null;
  ctx.db.transaction(() => {
    for (const ward of fleet) {
      ctx.wards.createWard({ id: ward.id, name: ward.name, kind: ward.kind, siteCode: ward.site });
      for (const gw of ward.gateways) {
        const gatewayId = ctx.devices.ensureGateway(gw.site, gw.gateway);
        ctx.devices.assignGatewayToWard(gatewayId, ward.id);
        for (const resident of gw.residents) {
          const bedId = `${ward.id}-bed-${resident.number}`;
          const label = ward.kind === 'care_home' ? `Room ${resident.number}` : `Home ${resident.number}`;
          ctx.wards.createBed({ id: bedId, wardId: ward.id, label, sortOrder: resident.number });
          const patientId = `${ward.id}-p${String(resident.number).padStart(3, '0')}`;
          const displayName = SYNTHETIC_NAMES[nameIndex++ % SYNTHETIC_NAMES.length] as string;
          ctx.wards.admit({ id: patientId, displayName, bedId, at });
          firstResident ??= patientId;
          for (const device of resident.devices) {
            ctx.devices.registerDevice(device.id, device.model, gw.site);
            ctx.devices.assign(device.id, patientId, 'demo-seed', at);
          }
        }
      }
    }
    ctx.users.upsert({ username: 'admin', passwordHash, role: 'admin', displayName: 'Demo Administrator' });
    ctx.users.upsert({ username: 'nurse', passwordHash, role: 'nurse', displayName: 'Demo Nurse' });
    ctx.users.upsert({
      username: 'family',
      passwordHash,
      role: 'family',
      displayName: 'Demo Family Member',
      patientId: firstResident,
    });
    // The demo family member as a consenting contact. The address is non-routable (.invalid) and,
    // without WARDLINE_SMTP_HOST, mail is recorded as "not configured" rather than sent.
    if (firstResident) {
      ctx.alerting.contacts.create(
        firstResident,
        {
          name: 'Demo Family Member',
          email: 'family@wardline-demo.invalid',
          username: 'family',
          timeZone: 'Europe/London',
          quietHours: { start: '22:00', end: '07:00' },
          consent: { notify: true, clinicalDetail: false, fallsDuringQuietHours: true },
          consentNote: 'demo data: consent to fall and help-call messages, no clinical detail',
        },
        'demo-seed',
        at,
      );
    }
  })();
}
