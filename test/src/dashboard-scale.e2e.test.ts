/**
 * A 200-bed virtual ward in Chromium: how long the grid takes to appear, and how long a batch of
 * 200 readings (one per resident) takes to reach every card. The numbers are printed for the
 * record; the assertions are loose bounds that catch a regression by an order of magnitude.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { MqttClient } from 'mqtt';
import type { RunningBroker } from '@wardline/broker';
import type { RunningServer } from '@wardline/server';
import { join } from 'node:path';
import { launchChromium, screenshot } from './browser.js';
import {
  DEMO_PASSWORD,
  batchPayload,
  bpReading,
  brokerUsers,
  builtDashboard,
  connectGatewayClient,
  startTestBroker,
  startTestServer,
  tempDir,
  waitUntil,
  largeWard,
  largeWardDeviceId,
} from './support.js';

const BEDS = 200;
const bigWard = largeWard(BEDS);
const deviceId = largeWardDeviceId;

describe('a 200-bed ward in Chromium', () => {
  let broker: RunningBroker;
  let server: RunningServer;
  let gateway: MqttClient;
  let browser: Browser;

  beforeAll(async () => {
    broker = await startTestBroker(await brokerUsers(bigWard));
    server = await startTestServer(broker.port, join(tempDir('dash-scale'), 'wardline.db'), {
      wards: bigWard,
      dashboardDir: builtDashboard,
    });
    await waitUntil(() => server.context.mqttConnected(), 'server MQTT session');
    gateway = await connectGatewayClient(broker.port, 'site-big', 'gw-1');
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await gateway?.endAsync();
    await server?.close();
    await broker?.close();
  });

  it('shows all 200 beds quickly and puts a 200-reading batch on every card', async () => {
    const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    const base = `http://127.0.0.1:${server.port}`;
    await page.goto(`${base}/wards`);
    await page.getByTestId('login-username').fill('nurse');
    await page.getByTestId('login-password').fill(DEMO_PASSWORD);
    await page.getByTestId('login-submit').click();
    await page.locator('[data-testid="connection-state"][data-state="live"]').waitFor();

    // A cold load of the ward address: app, session, ward list, snapshot and 200 cards.
    const started = Date.now();
    await page.goto(`${base}/wards/ward-big`);
    await page
      .locator('[data-testid="bed-card"]')
      .nth(BEDS - 1)
      .waitFor();
    const loadMs = Date.now() - started;
    await expect(page.locator('[data-testid="bed-card"]').count()).resolves.toBe(BEDS);
    await page.locator('[data-testid="connection-state"][data-state="live"]').waitFor();

    const readings = Array.from({ length: BEDS }, (_, i) => bpReading(deviceId(i + 1), 100 + (i % 80)));
    const published = Date.now();
    await gateway.publishAsync('wardline/v1/site-big/gw-1/obs', batchPayload(...readings), { qos: 1 });
    await page.waitForFunction(
      (n) => document.querySelectorAll('[data-testid="bp-value"]').length === n,
      BEDS,
      { timeout: 10_000, polling: 'raf' },
    );
    const liveMs = Date.now() - published;
    await screenshot(page, 'screen-ward-200-beds');

    console.log(
      `200-bed ward: cold load to 200 cards ${loadMs} ms; 200-reading batch on every card ${liveMs} ms`,
    );
    expect(loadMs).toBeLessThan(5000);
    expect(liveMs).toBeLessThan(5000);
    await context.close();
  });
});
