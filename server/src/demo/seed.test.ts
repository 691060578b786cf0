import { verifyKitSecret } from '@wardline/broker';
import { describe, expect, it } from 'vitest';
import { createContext, type ServerContext } from '../context.js';
import { openDatabase } from '../db/database.js';
import { sqliteDatabase } from '../db/engines/sqlite/index.js';
import { createBrokerFeed } from '../kits/broker-feed.js';
import { createKitRepository } from '../kits/kit-repository.js';
import { DEMO_ORGANISATION_NAME, ensureDemoKits, seedDemo, type SeedWard } from './seed.js';

const fleet: SeedWard[] = [
  {
    id: 'home-ward',
    name: 'Larkspur House',
    kind: 'care_home',
    site: 'larkspur',
    gateways: [
      {
        site: 'larkspur',
        gateway: 'gw-01',
        residents: [
          { number: 1, devices: [{ id: 'd0:b1:00:01:00:01', model: 'bp-cuff' }] },
          { number: 2, devices: [{ id: 'd0:b1:00:01:00:02', model: 'bp-cuff' }] },
        ],
      },
    ],
  },
  {
    id: 'vw',
    name: 'Virtual Ward North',
    kind: 'virtual_ward',
    site: 'vw-north',
    gateways: [1, 2].map((n) => ({
      site: 'vw-north',
      gateway: `home-0${n}`,
      residents: [
        {
          number: n,
          devices: [
            { id: `d0:b1:00:02:00:0${n}`, model: 'bp-cuff' },
            { id: `d0:fa:00:02:00:0${n}`, model: 'falls-sensor' },
          ],
        },
      ],
    })),
  },
];
const secrets = {
  'larkspur.gw-01': 'care-home-hub-secret',
  'vw-north.home-01': 'home-one-secret',
  'vw-north.home-02': 'home-two-secret',
};

/** A database the demo seeded before gateway kits existed: wards, residents, devices, no kits. */
async function seededBeforeKits(): Promise<ServerContext> {
  const ctx = createContext(sqliteDatabase(openDatabase(':memory:')));
  await seedDemo(ctx, fleet, 'demo-password', { N: 2 ** 10, r: 8, p: 1 });
  return ctx;
}

const count = async (ctx: ServerContext, table: string) =>
  (await ctx.sql.get<{ n: number }>(`SELECT count(*) AS n FROM ${table}`))!.n;
const kitsOf = async (ctx: ServerContext) =>
  Object.fromEntries(
    (await createKitRepository(ctx.sql, ctx.devices).list('org-default')).map((kit) => [kit.username, kit]),
  );

describe('demo seed', () => {
  it('names the organisation as a demo of simulated residents and devices', async () => {
    const ctx = await seededBeforeKits();
    expect((await ctx.accounts.organisations.get('org-default'))?.name).toBe(DEMO_ORGANISATION_NAME);
    expect(DEMO_ORGANISATION_NAME).toMatch(/demo.*simulated/i);
  });
});

describe('demo gateway kits', () => {
  it("registers every demo gateway as a kit whose credential the broker's feed serves", async () => {
    const ctx = await seededBeforeKits();
    const history = await count(ctx, 'assignment_history');

    expect(await ensureDemoKits(ctx, fleet, secrets)).toEqual({ registered: 3, credentialsSet: 3 });

    const kits = await kitsOf(ctx);
    expect(Object.keys(kits).sort()).toEqual(Object.keys(secrets).sort());
    expect(kits['larkspur.gw-01']).toMatchObject({ label: 'Larkspur House hub', patientId: null });
    expect(kits['larkspur.gw-01']!.devices.map((d) => d.id)).toEqual([
      'd0:b1:00:01:00:01',
      'd0:b1:00:01:00:02',
    ]);
    expect(kits['vw-north.home-02']).toMatchObject({ label: 'Home 2 hub', patientId: 'vw-p002' });
    expect(kits['vw-north.home-02']!.devices).toHaveLength(2);
    // The seed's assignments stand: issuing the kit added nothing to the devices' history.
    expect(await count(ctx, 'assignment_history')).toBe(history);

    const feed = await createBrokerFeed(ctx.sql).since(0);
    expect(feed.users.map((u) => u.username).sort()).toEqual(Object.keys(secrets).sort());
    for (const user of feed.users) {
      expect(user.secrets).toHaveLength(1);
      expect(user.secrets[0]!.hash).not.toContain(secrets[user.username as keyof typeof secrets]);
      expect(verifyKitSecret(secrets[user.username as keyof typeof secrets], user.secrets[0]!.hash)).toBe(
        true,
      );
    }
  });

  it('changes nothing on a restart with the same secrets, and only the changed kit when one changes', async () => {
    const ctx = await seededBeforeKits();
    await ensureDemoKits(ctx, fleet, secrets);
    const changes = await count(ctx, 'credential_changes');
    const version = (await createBrokerFeed(ctx.sql).since(0)).version;

    expect(await ensureDemoKits(ctx, fleet, secrets)).toEqual({ registered: 0, credentialsSet: 0 });
    expect(await count(ctx, 'credential_changes')).toBe(changes);
    expect(await count(ctx, 'kits')).toBe(3);

    const changed = { ...secrets, 'vw-north.home-01': 'a-new-secret-file' };
    expect(await ensureDemoKits(ctx, fleet, changed)).toEqual({ registered: 0, credentialsSet: 1 });
    const feed = await createBrokerFeed(ctx.sql).since(version);
    expect(feed.users).toHaveLength(1);
    const [home] = feed.users;
    expect(home!.username).toBe('vw-north.home-01');
    // The old password no longer lets the hub in.
    expect(home!.secrets).toHaveLength(1);
    expect(verifyKitSecret('a-new-secret-file', home!.secrets[0]!.hash)).toBe(true);
    expect(verifyKitSecret('home-one-secret', home!.secrets[0]!.hash)).toBe(false);
  });

  it('leaves a kit an admin revoked or returned as it was', async () => {
    const ctx = await seededBeforeKits();
    await ensureDemoKits(ctx, fleet, secrets);
    const repository = createKitRepository(ctx.sql, ctx.devices);
    const kits = await kitsOf(ctx);
    await repository.revoke('org-default', kits['vw-north.home-01']!.id, 'admin');
    await repository.returnKit('org-default', kits['vw-north.home-02']!.id, 'admin');
    const changes = await count(ctx, 'credential_changes');

    expect(await ensureDemoKits(ctx, fleet, secrets)).toEqual({ registered: 0, credentialsSet: 0 });
    expect(await count(ctx, 'credential_changes')).toBe(changes);
    const after = await kitsOf(ctx);
    expect(after['vw-north.home-01']!.revokedAt).not.toBeNull();
    expect(after['vw-north.home-01']!.credentials).toEqual([]);
    expect(after['vw-north.home-02']!.patientId).toBeNull();
    expect(
      (await createBrokerFeed(ctx.sql).since(0)).users.find((u) => u.username === 'vw-north.home-01')!
        .secrets,
    ).toEqual([]);
  });

  it('registers kits without credentials when no secrets are given (the broker admits none of them)', async () => {
    const ctx = await seededBeforeKits();
    expect(await ensureDemoKits(ctx, fleet)).toEqual({ registered: 3, credentialsSet: 0 });
    expect((await createBrokerFeed(ctx.sql).since(0)).users).toEqual([]);
  });
});
