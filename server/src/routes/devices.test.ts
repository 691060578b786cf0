import type { DeviceState } from '@wardline/protocol';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import type { ServerContext } from '../context.js';
import { batch, bpObservation, signInToken, testContext, testIngest } from '../testing.js';

describe('device registration and gateway pinning', () => {
  let ctx: ServerContext;
  let app: FastifyInstance;
  let admin: string;

  beforeEach(async () => {
    ctx = await testContext();
    app = await buildApp({ context: ctx });
    admin = await signInToken(app, 'admin');
  });
  afterEach(async () => {
    await app.close();
  });

  const send = (method: 'POST' | 'PUT', url: string, payload: unknown) =>
    app.inject({ method, url, payload: payload as object, headers: { authorization: `Bearer ${admin}` } });
  const listed = async (deviceId: string) =>
    (
      (
        await app.inject({
          method: 'GET',
          url: '/api/devices',
          headers: { authorization: `Bearer ${admin}` },
        })
      ).json() as DeviceState[]
    ).find((d) => d.deviceId === deviceId);
  const readingThrough = async (gateway: string, deviceId: string) =>
    (
      await testIngest(ctx).handle(`wardline/v1/site-a/${gateway}/obs`, batch(bpObservation({ deviceId })))
    ).rejections.map((r) => r.code);

  it('registers a device pinned to one gateway of its site, whose readings only that gateway may bring', async () => {
    const res = await send('POST', '/api/devices', {
      deviceId: 'cc:00:00:00:00:01',
      model: 'bp-cuff',
      siteCode: 'site-a',
      gatewayCode: 'gw-1',
    });
    expect(res.statusCode).toBe(201);
    expect(await listed('cc:00:00:00:00:01')).toMatchObject({ pinnedGateway: 'gw-1' });
    expect(await readingThrough('gw-2', 'cc:00:00:00:00:01')).toEqual(['DEVICE_OUT_OF_SCOPE']);
    expect(await readingThrough('gw-1', 'cc:00:00:00:00:01')).toEqual([]);
  });

  it('registers an unpinned device by default, and pins and unpins it later', async () => {
    await send('POST', '/api/devices', {
      deviceId: 'cc:00:00:00:00:02',
      model: 'bp-cuff',
      siteCode: 'site-a',
    });
    expect(await listed('cc:00:00:00:00:02')).toMatchObject({ pinnedGateway: null });
    expect(await readingThrough('gw-2', 'cc:00:00:00:00:02')).toEqual([]);

    const pin = await send('PUT', '/api/devices/cc:00:00:00:00:02/gateway', { gatewayCode: 'gw-1' });
    expect(pin.statusCode).toBe(200);
    expect(await readingThrough('gw-2', 'cc:00:00:00:00:02')).toEqual(['DEVICE_OUT_OF_SCOPE']);

    await send('PUT', '/api/devices/cc:00:00:00:00:02/gateway', { gatewayCode: null });
    expect(await listed('cc:00:00:00:00:02')).toMatchObject({ pinnedGateway: null });
    expect(await readingThrough('gw-2', 'cc:00:00:00:00:02')).toEqual([]);
  });

  it('refuses a gateway code outside the topic alphabet, and pinning a device that is not registered', async () => {
    const bad = await send('POST', '/api/devices', {
      deviceId: 'cc:00:00:00:00:03',
      model: 'bp-cuff',
      siteCode: 'site-a',
      gatewayCode: 'gw/+',
    });
    expect(bad.statusCode).toBe(400);
    expect(await ctx.devices.exists('cc:00:00:00:00:03')).toBe(false);
    expect(
      (await send('PUT', '/api/devices/cc:00:00:00:00:09/gateway', { gatewayCode: 'gw-1' })).statusCode,
    ).toBe(404);
    const nurse = await signInToken(app, 'nurse');
    const asNurse = await app.inject({
      method: 'PUT',
      url: '/api/devices/aa:00:00:00:00:01/gateway',
      payload: { gatewayCode: 'gw-2' },
      headers: { authorization: `Bearer ${nurse}` },
    });
    expect(asNurse.statusCode).toBe(403);
  });
});
