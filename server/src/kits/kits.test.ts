import { verifyKitSecret } from '@wardline/broker';
import type { BrokerCredentialFeed, Kit, KitCredentialsResponse, KitPage } from '@wardline/protocol';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import type { ServerContext } from '../context.js';
import {
  addBareOrganisation,
  batch,
  bpObservation,
  signInToken,
  testContext,
  testIngest,
} from '../testing.js';
import { createKitRepository } from './kit-repository.js';

const SYNC_TOKEN = 'broker-sync-token-for-tests-0123456789';

describe('gateway kits', () => {
  let ctx: ServerContext;
  let app: FastifyInstance;
  let admin: string;
  let patients: string[];

  beforeEach(async () => {
    ctx = await testContext();
    app = await buildApp({
      context: ctx,
      kits: { gatewayMqttUrl: 'mqtts://broker.example.test:8883', brokerSyncToken: SYNC_TOKEN },
    });
    admin = await signInToken(app, 'admin');
    patients = (await ctx.sql.all<{ id: string }>(`SELECT id FROM patients ORDER BY id`)).map((p) => p.id);
  });
  afterEach(async () => {
    await app.close();
  });

  const call = (method: 'GET' | 'POST', url: string, payload?: unknown) =>
    app.inject({
      method,
      url,
      ...(payload === undefined ? {} : { payload: payload as object }),
      headers: { authorization: `Bearer ${admin}` },
    });
  const feed = async (since = 0, token = SYNC_TOKEN) =>
    app.inject({
      method: 'GET',
      url: `/api/internal/broker/credentials?since=${since}`,
      headers: { authorization: `Bearer ${token}` },
    });
  const register = async (patientId?: string): Promise<KitCredentialsResponse> => {
    const res = await call('POST', '/api/kits', {
      siteId: 'site-site-a',
      label: 'Home kit 1',
      devices: [
        { id: 'kk:00:00:00:00:01', model: 'bp-cuff' },
        { id: 'kk:00:00:00:00:02', model: 'pulse-oximeter' },
      ],
      ...(patientId ? { patientId } : {}),
    });
    expect(res.statusCode).toBe(201);
    return res.json() as KitCredentialsResponse;
  };
  const reading = async (kit: Kit) => {
    const observation = bpObservation({ deviceId: 'kk:00:00:00:00:01' });
    await testIngest(ctx).handle(`wardline/v1/${kit.siteCode}/${kit.gatewayCode}/obs`, batch(observation));
    return (
      await ctx.sql.get<{ patientId: string | null }>(
        `SELECT patient_id AS "patientId" FROM observations WHERE id = ?`,
        [observation.id],
      )
    )?.patientId;
  };
  const actions = async () =>
    (await ctx.sql.all<{ action: string }>(`SELECT action FROM audit_events ORDER BY id`)).map(
      (e) => e.action,
    );

  it('registers a kit with a random gateway code and returns its secret once, stored only as a hash', async () => {
    const { kit, provisioning } = await register(patients[0]);
    expect(kit.gatewayCode).toMatch(/^kit-[0-9a-f]{8}$/);
    expect(kit.username).toBe(`site-a.${kit.gatewayCode}`);
    expect(provisioning).toMatchObject({
      format: 'wardline-gateway-provisioning/1',
      mqttUrl: 'mqtts://broker.example.test:8883',
      username: kit.username,
      site: 'site-a',
      gateway: kit.gatewayCode,
    });
    expect(provisioning.password.length).toBeGreaterThanOrEqual(43);
    const stored = await ctx.sql.all<{ hash: string }>(`SELECT secret_hash AS hash FROM gateway_credentials`);
    expect(stored).toHaveLength(1);
    expect(stored[0]!.hash).not.toContain(provisioning.password);
    expect(verifyKitSecret(provisioning.password, stored[0]!.hash)).toBe(true);
    // Nothing shows the secret again.
    const page = (await call('GET', `/api/kits/${kit.id}`)).json() as KitPage;
    expect(JSON.stringify(page)).not.toContain(provisioning.password);
    expect(page.devices.map((d) => d.patientId)).toEqual([patients[0], patients[0]]);
    expect(await actions()).toEqual(expect.arrayContaining(['kit.register', 'kit.view']));
  });

  it("keeps a returned kit's readings with the patient it was issued to, and the next patient's after re-issue", async () => {
    const { kit } = await register(patients[0]);
    expect(await reading(kit)).toBe(patients[0]);
    expect((await call('POST', `/api/kits/${kit.id}/return`)).statusCode).toBe(200);
    expect((await reading(kit)) ?? null).toBeNull();
    const issued = await call('POST', `/api/kits/${kit.id}/issue`, { patientId: patients[1] });
    expect(issued.json()).toMatchObject({ patientId: patients[1] });
    expect(await reading(kit)).toBe(patients[1]);
    // Issuing straight to a third ends the second's issue too.
    await call('POST', `/api/kits/${kit.id}/issue`, { patientId: patients[0] });
    expect(await reading(kit)).toBe(patients[0]);
    // Nobody's first, as SQLite orders a null (PostgreSQL would put it last).
    const counts = await ctx.sql.all(
      `SELECT patient_id AS "patientId", count(*) AS n FROM observations WHERE device_id = 'kk:00:00:00:00:01'
        GROUP BY patient_id ORDER BY CASE WHEN patient_id IS NULL THEN 0 ELSE 1 END, patient_id`,
    );
    expect(counts).toEqual([
      // Heard while the kit was back in the store: nobody's.
      { patientId: null, n: 1 },
      { patientId: patients[0], n: 2 },
      { patientId: patients[1], n: 1 },
    ]);
    const page = (await call('GET', `/api/kits/${kit.id}`)).json() as KitPage;
    expect(page.issues.map((i) => [i.patientId, i.returnedAt === null])).toEqual([
      [patients[0], true],
      [patients[1], false],
      [patients[0], false],
    ]);
    expect((await actions()).filter((a) => a === 'kit.issue' || a === 'kit.return')).toEqual([
      'kit.return',
      'kit.issue',
      'kit.return',
      'kit.issue',
    ]);
  });

  it('feeds the broker every changed user with its current hashes: register, rotate with overlap, revoke', async () => {
    expect((await feed(0, 'wrong-token')).statusCode).toBe(401);
    const first = await register();
    const initial = (await feed(0)).json() as BrokerCredentialFeed;
    expect(initial.users).toHaveLength(1);
    const [user] = initial.users;
    expect(user).toMatchObject({
      username: first.kit.username,
      site: 'site-a',
      gateway: first.kit.gatewayCode,
    });
    expect(verifyKitSecret(first.provisioning.password, user!.secrets[0]!.hash)).toBe(true);
    expect(((await feed(initial.version)).json() as BrokerCredentialFeed).users).toEqual([]);

    const rotated = (
      await call('POST', `/api/kits/${first.kit.id}/rotate`, { overlapMinutes: 30 })
    ).json() as KitCredentialsResponse;
    expect(rotated.provisioning.password).not.toBe(first.provisioning.password);
    expect(rotated.kit.credentials).toHaveLength(2);
    const afterRotate = (await feed(initial.version)).json() as BrokerCredentialFeed;
    const secrets = afterRotate.users[0]!.secrets;
    expect(secrets).toHaveLength(2);
    expect(verifyKitSecret(rotated.provisioning.password, secrets[0]!.hash)).toBe(true);
    expect(secrets[0]!.notAfter).toBeNull();
    expect(verifyKitSecret(first.provisioning.password, secrets[1]!.hash)).toBe(true);
    const overlapEnds = Date.parse(secrets[1]!.notAfter!) - Date.now();
    expect(overlapEnds).toBeGreaterThan(29 * 60_000);
    expect(overlapEnds).toBeLessThanOrEqual(30 * 60_000);

    // No overlap: only the newest secret remains.
    const again = (
      await call('POST', `/api/kits/${first.kit.id}/rotate`, { overlapMinutes: 0 })
    ).json() as KitCredentialsResponse;
    const afterCut = (await feed(afterRotate.version)).json() as BrokerCredentialFeed;
    expect(afterCut.users[0]!.secrets).toHaveLength(1);
    expect(verifyKitSecret(again.provisioning.password, afterCut.users[0]!.secrets[0]!.hash)).toBe(true);

    const revoked = await call('POST', `/api/kits/${first.kit.id}/revoke`);
    expect(revoked.json()).toMatchObject({ credentials: [], revokedAt: expect.any(String) });
    const afterRevoke = (await feed(afterCut.version)).json() as BrokerCredentialFeed;
    expect(afterRevoke.users).toEqual([
      { username: first.kit.username, site: 'site-a', gateway: first.kit.gatewayCode, secrets: [] },
    ]);
    expect((await call('POST', `/api/kits/${first.kit.id}/rotate`, { overlapMinutes: 0 })).statusCode).toBe(
      409,
    );
    expect(await actions()).toEqual(expect.arrayContaining(['kit.rotate', 'kit.revoke']));
  });

  it('lets nobody read the credentials feed unless a sync token is configured', async () => {
    const bare = await buildApp({ context: ctx, kits: { brokerSyncToken: null } });
    const res = await bare.inject({
      method: 'GET',
      url: '/api/internal/broker/credentials?since=0',
      headers: { authorization: 'Bearer anything-at-all-really' },
    });
    expect(res.statusCode).toBe(401);
    await bare.close();
  });

  it("answers 404 for another organisation's kit, site or patient, and refuses nurses", async () => {
    const theirSite = await addBareOrganisation(ctx, '2', 'virtual_ward');
    const theirs = await createKitRepository(ctx.sql, ctx.devices).register(
      theirSite.organisationId,
      { siteId: theirSite.id, label: 'Theirs', devices: [{ id: 'ee:00:00:00:00:01', model: 'bp-cuff' }] },
      'someone',
    );
    for (const [method, url] of [
      ['GET', `/api/kits/${theirs.kit.id}`],
      ['POST', `/api/kits/${theirs.kit.id}/revoke`],
      ['POST', `/api/kits/${theirs.kit.id}/return`],
    ] as const)
      expect((await call(method, url)).statusCode).toBe(404);
    expect((await call('GET', '/api/kits')).json()).toEqual([]);
    const intoTheirSite = await call('POST', '/api/kits', {
      siteId: theirSite.id,
      label: 'x',
      devices: [],
    });
    expect(intoTheirSite.statusCode).toBe(404);

    const nurse = await signInToken(app, 'nurse');
    const res = await app.inject({
      method: 'POST',
      url: '/api/kits',
      payload: { siteId: 'site-site-a', label: 'x', devices: [] },
      headers: { authorization: `Bearer ${nurse}` },
    });
    expect(res.statusCode).toBe(403);
  });
});

describe('gateway kits with several brokers', () => {
  it('hands out the failover list as mqttUrls, its first broker as mqttUrl for older gateways', async () => {
    const ctx = await testContext();
    const brokers = ['mqtts://b1.example.test:8883', 'mqtts://b2.example.test:8883'];
    const app = await buildApp({
      context: ctx,
      kits: { gatewayMqttUrl: brokers[0], gatewayMqttUrls: brokers, brokerSyncToken: SYNC_TOKEN },
    });
    try {
      const res = await app.inject({
        method: 'POST',
        url: '/api/kits',
        payload: {
          siteId: 'site-site-a',
          label: 'Home kit 2',
          devices: [{ id: 'kk:00:00:00:00:09', model: 'bp-cuff' }],
        },
        headers: { authorization: `Bearer ${await signInToken(app, 'admin')}` },
      });
      expect(res.statusCode).toBe(201);
      const { provisioning } = res.json() as KitCredentialsResponse;
      expect(provisioning.mqttUrl).toBe(brokers[0]);
      expect(provisioning.mqttUrls).toEqual(brokers);
    } finally {
      await app.close();
    }
  });
});
