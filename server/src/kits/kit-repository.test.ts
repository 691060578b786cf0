/**
 * The kit repository and the broker's credentials feed on both engines: what the broker replicates
 * follows every credential change, and a kit's issue ends once however many ask at once.
 */
import { verifyKitSecret } from '@wardline/broker';
import { expect, it } from 'vitest';
import { createDeviceRepository } from '../db/device-repository.js';
import type { SqlDatabase } from '../db/engines/engine.js';
import { Errors } from '../errors.js';
import { describeEngines } from '../testing-sql.js';
import { createBrokerFeed } from './broker-feed.js';
import { createKitRepository } from './kit-repository.js';

async function homeSite(sql: SqlDatabase) {
  const at = new Date().toISOString();
  await sql.run(
    `INSERT INTO sites (id, organisation_id, code, name, kind, created_at)
     VALUES ('site-home', 'org-default', 'home', 'Homes', 'virtual_ward', ?)`,
    [at],
  );
  for (const id of ['pat-1', 'pat-2'])
    await sql.run(
      `INSERT INTO patients (id, display_name, organisation_id, created_at) VALUES (?, ?, 'org-default', ?)`,
      [id, id, at],
    );
}

describeEngines('gateway kits', (open) => {
  async function setUp() {
    const sql = await open();
    await homeSite(sql);
    const devices = createDeviceRepository(sql);
    return { sql, devices, kits: createKitRepository(sql, devices), feed: createBrokerFeed(sql) };
  }
  const request = (gatewayCode: string, deviceId: string, patientId?: string) => ({
    siteId: 'site-home',
    label: `Kit ${gatewayCode}`,
    gatewayCode,
    devices: [{ id: deviceId, model: 'bp-cuff' }],
    ...(patientId ? { patientId } : {}),
  });

  it('feeds the broker each credential change: a new kit, a rotation with overlap, a revocation', async () => {
    const { kits, feed } = await setUp();
    const { kit, secret } = await kits.register('org-default', request('gw1', 'aa:00:00:00:00:01'), 'admin');
    const first = await feed.since(0);
    expect(first.users).toEqual([
      {
        username: kit.username,
        site: 'home',
        gateway: 'gw1',
        secrets: [{ hash: expect.any(String), notAfter: null }],
      },
    ]);
    expect(verifyKitSecret(secret, first.users[0]!.secrets[0]!.hash)).toBe(true);
    expect((await feed.since(first.version)).users).toEqual([]);

    const rotated = await kits.rotate('org-default', kit.id, 30, 'admin');
    const afterRotation = await feed.since(first.version);
    expect(afterRotation.users[0]!.secrets).toHaveLength(2);
    expect(afterRotation.users[0]!.secrets.filter((s) => s.notAfter !== null)).toHaveLength(1);
    expect(rotated.kit.credentials).toHaveLength(2);

    await kits.revoke('org-default', kit.id, 'admin');
    const afterRevoke = await feed.since(afterRotation.version);
    expect(afterRevoke.users).toEqual([
      { username: kit.username, site: 'home', gateway: 'gw1', secrets: [] },
    ]);
    // A broker ahead of the records (restored from a backup) is sent everything again.
    expect((await feed.since(afterRevoke.version + 100)).users).toHaveLength(1);
  });

  it('refuses a second kit for the same gateway or device, and another organisation sees none', async () => {
    const { kits } = await setUp();
    await kits.register('org-default', request('gw1', 'aa:00:00:00:00:01'), 'admin');
    await expect(kits.register('org-default', request('gw1', 'aa:00:00:00:00:02'), 'admin')).rejects.toThrow(
      Errors.conflict,
    );
    await expect(kits.register('org-default', request('gw2', 'aa:00:00:00:00:01'), 'admin')).rejects.toThrow(
      Errors.conflict,
    );
    expect(await kits.list('org-default')).toHaveLength(1);
    expect(await kits.list('org-other')).toEqual([]);
  });

  it('issues a kit to one patient at a time; of two returns at once only one ends the issue', async () => {
    const { kits, devices } = await setUp();
    const { kit } = await kits.register('org-default', request('gw1', 'aa:00:00:00:00:01', 'pat-1'), 'admin');
    expect(await devices.devicesAssignedTo('pat-1')).toEqual(['aa:00:00:00:00:01']);
    const reissued = await kits.issue('org-default', kit.id, 'pat-2', 'nurse');
    expect(reissued.previousPatientId).toBe('pat-1');
    expect(await devices.devicesAssignedTo('pat-1')).toEqual([]);
    expect(await devices.devicesAssignedTo('pat-2')).toEqual(['aa:00:00:00:00:01']);

    const returns = await Promise.allSettled([
      kits.returnKit('org-default', kit.id, 'nurse'),
      kits.returnKit('org-default', kit.id, 'nurse'),
    ]);
    expect(returns.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(returns.filter((r) => r.status === 'rejected')).toHaveLength(1);
    expect(await devices.devicesAssignedTo('pat-2')).toEqual([]);
    const page = await kits.page('org-default', kit.id);
    expect(page.kit.patientId).toBeNull();
    expect(page.issues.map((i) => [i.patientId, i.returnedAt !== null])).toEqual([
      ['pat-2', true],
      ['pat-1', true],
    ]);
  });
});
