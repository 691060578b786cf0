import { hashPassword, type ScryptCost } from '@wardline/broker';
import { nhsCheckDigitValid } from '@wardline/protocol';
import type { ServerContext } from '../context.js';
import { createKitRepository } from '../kits/kit-repository.js';

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

export const DEMO_ROLES = ['admin', 'nurse', 'family'] as const;
export type DemoRole = (typeof DEMO_ROLES)[number];
/** Each demo user's own password, so that signing in as one never opens another's account. */
export type DemoPasswords = Record<DemoRole, string>;

/** A single string gives every role that password (tests); each user still gets its own hash. */
async function demoHashes(passwords: string | DemoPasswords, cost?: ScryptCost) {
  const of = (role: DemoRole) => (typeof passwords === 'string' ? passwords : passwords[role]);
  const [admin, nurse, family] = await Promise.all(DEMO_ROLES.map((role) => hashPassword(of(role), cost)));
  return { admin: admin!, nurse: nurse!, family: family! };
}

/**
 * Sets the demo users' passwords on a database seeded earlier: the demo's secrets file is the
 * source of truth, including when an older demo left one shared password behind.
 */
export async function setDemoPasswords(
  ctx: ServerContext,
  passwords: string | DemoPasswords,
  cost?: ScryptCost,
): Promise<void> {
  const hashes = await demoHashes(passwords, cost);
  await ctx.sql.transaction(async () => {
    for (const role of DEMO_ROLES) await ctx.users.setPassword(role, hashes[role]);
  });
}

export const DEMO_ORGANISATION_NAME = 'Wardline demo (simulated residents and devices)';

/** The demo resident's patient id, the same on every start (firmware-sim's demoPatientId too). */
const demoPatientId = (ward: SeedWard, resident: { number: number }) =>
  `${ward.id}-p${String(resident.number).padStart(3, '0')}`;

/**
 * Every demo gateway as a gateway kit in the server's store, on every demo start (a database seeded
 * before kits existed gets them too): the broker admits the demo's hubs through its credential feed,
 * like any home registered in Admin > Kits, and its users file keeps only the server's identity.
 * `gatewaySecrets` (user name `site.gateway` to password, from the demo's secrets file) are the
 * kits' credentials; a kit whose credential already verifies is not touched.
 */
export async function ensureDemoKits(
  ctx: ServerContext,
  fleet: SeedWard[],
  gatewaySecrets: Record<string, string> = {},
): Promise<{ registered: number; credentialsSet: number }> {
  const kits = createKitRepository(ctx.sql, ctx.devices);
  let registered = 0;
  let credentialsSet = 0;
  await ctx.sql.transaction(async () => {
    for (const ward of fleet) {
      for (const gw of ward.gateways) {
        // A virtual-ward home's hub is its patient's; a care home's serves the building.
        const home = ward.kind === 'virtual_ward' && gw.residents.length === 1 ? gw.residents[0]! : null;
        const { kit, created } = await kits.ensureDemoKit(
          {
            siteCode: gw.site,
            gatewayCode: gw.gateway,
            label: home ? `Home ${home.number} hub` : `${ward.name} hub`,
            deviceIds: gw.residents.flatMap((resident) => resident.devices.map((device) => device.id)),
            patientId: home ? demoPatientId(ward, home) : null,
          },
          'demo-seed',
        );
        if (created) registered++;
        const secret = gatewaySecrets[kit.username];
        if (secret && (await kits.setCredentialSecret(kit.organisationId, kit.id, secret, 'demo-seed')))
          credentialsSet++;
      }
    }
  });
  return { registered, credentialsSet };
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

const syntheticNumbers: string[] = [];
let nextBase = 999_000_001;

/**
 * The n-th synthetic NHS number: numbers starting 999 are reserved by NHS England for testing and
 * are never issued to a person. Nine digits are counted up from 999000001 and the check digit
 * appended; a base whose check digit would be 10 (no valid number) is skipped.
 */
export function syntheticNhsNumber(n: number): string {
  while (syntheticNumbers.length < n) {
    const nine = String(nextBase++);
    for (let check = 0; check <= 9; check++)
      if (nhsCheckDigitValid(`${nine}${check}`)) {
        syntheticNumbers.push(`${nine}${check}`);
        break;
      }
  }
  return syntheticNumbers[n - 1]!;
}

/**
 * Creates demo wards, beds, residents, gateways, devices and assignments, and three users
 * (admin, nurse, family of the first care-home resident), each with its own password hash.
 */
export async function seedDemo(
  ctx: ServerContext,
  fleet: SeedWard[],
  passwords: string | DemoPasswords,
  /** Tests lower the cost; verification reads it from the stored hash. */
  cost?: ScryptCost,
): Promise<void> {
  const at = new Date().toISOString();
  const hashes = await demoHashes(passwords, cost);
  let nameIndex = 0;
  let firstResident: string | null = null;
  await ctx.sql.transaction(async () => {
    // Named so, wherever an organisation is shown (Admin, invitations): none of this is real.
    await ctx.accounts.organisations.update('org-default', { name: DEMO_ORGANISATION_NAME });
    for (const ward of fleet) {
      await ctx.wards.createWard({ id: ward.id, name: ward.name, kind: ward.kind, siteCode: ward.site });
      for (const gw of ward.gateways) {
        const gatewayId = await ctx.devices.ensureGateway(gw.site, gw.gateway);
        await ctx.devices.assignGatewayToWard(gatewayId, ward.id);
        for (const resident of gw.residents) {
          const bedId = `${ward.id}-bed-${resident.number}`;
          const label = ward.kind === 'care_home' ? `Room ${resident.number}` : `Home ${resident.number}`;
          await ctx.wards.createBed({ id: bedId, wardId: ward.id, label, sortOrder: resident.number });
          const patientId = demoPatientId(ward, resident);
          const displayName = SYNTHETIC_NAMES[nameIndex++ % SYNTHETIC_NAMES.length] as string;
          await ctx.wards.admit({ id: patientId, displayName, bedId, at, by: 'demo-seed' });
          // Synthetic identifiers (the 999 test range) so that NHS-number search works in the demo.
          await ctx.patients.updateDetails(patientId, { nhsNumber: syntheticNhsNumber(nameIndex) });
          firstResident ??= patientId;
          for (const device of resident.devices) {
            // A virtual-ward home has its own gateway: its devices are accepted from that one only.
            const pin = ward.kind === 'virtual_ward' ? gw.gateway : null;
            await ctx.devices.registerDevice(device.id, device.model, gw.site, pin);
            await ctx.devices.assign(device.id, patientId, 'demo-seed', at);
          }
        }
      }
    }
    await ctx.users.upsert({
      username: 'admin',
      passwordHash: hashes.admin,
      role: 'admin',
      displayName: 'Demo Administrator',
    });
    await ctx.users.upsert({
      username: 'nurse',
      passwordHash: hashes.nurse,
      role: 'nurse',
      displayName: 'Demo Nurse',
    });
    await ctx.users.upsert({
      username: 'family',
      passwordHash: hashes.family,
      role: 'family',
      displayName: 'Demo Family Member',
      patientId: firstResident,
    });
    // The demo family member as a consenting contact. The address is non-routable (.invalid) and,
    // without WARDLINE_SMTP_HOST, mail is recorded as "not configured" rather than sent.
    if (firstResident) {
      await ctx.alerting.contacts.create(
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
  });
}
