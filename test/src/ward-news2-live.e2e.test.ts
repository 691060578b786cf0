/**
 * NEWS2 live on the ward and charted on the patient screen, in Chromium, over the real broker and
 * server: a reading that changes a resident's score moves the bed card's NEWS2 through the live
 * feed (no per-resident polling), the partial score says what is missing in words, and the
 * patient screen charts each change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { MqttClient } from 'mqtt';
import type { RunningBroker } from '@wardline/broker';
import type { RunningServer } from '@wardline/server';
import { join } from 'node:path';
import { launchChromium, screenshot } from './browser.js';
import {
  DEMO_PASSWORD,
  batchPayload,
  bpReading,
  builtDashboard,
  connectGatewayClient,
  startTestBroker,
  startTestServer,
  tempDir,
  waitUntil,
} from './support.js';

const OBS_TOPIC = 'wardline/v1/site-e2e/gw-1/obs';

describe('NEWS2 on the ward, live', () => {
  let broker: RunningBroker;
  let server: RunningServer;
  let gateway: MqttClient;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let base: string;

  beforeAll(async () => {
    broker = await startTestBroker();
    server = await startTestServer(broker.port, join(tempDir('ward-news2'), 'wardline.db'), {
      dashboardDir: builtDashboard,
    });
    base = `http://127.0.0.1:${server.port}`;
    await waitUntil(() => server.context.mqttConnected(), 'server MQTT session');
    gateway = await connectGatewayClient(broker.port);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(8000);
    page = await context.newPage();
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await gateway?.endAsync();
    await server?.close();
    await broker?.close();
  });

  it('moves the bed card with the live feed, says what is missing in words, and charts the changes', async () => {
    const perResident: string[] = [];
    page.on('request', (r) => {
      if (/\/api\/patients\/[^/]+\/news2$/.test(new URL(r.url()).pathname)) perResident.push(r.url());
    });
    await page.goto(`${base}/wards/ward-e2e`);
    await page.getByTestId('login-username').fill('nurse');
    await page.getByTestId('login-password').fill(DEMO_PASSWORD);
    await page.getByTestId('login-submit').click();
    await page.locator('[data-testid="connection-state"][data-state="live"]').waitFor();
    const card = page.locator('[data-testid="bed-card"][data-bed-id="ward-e2e-bed-1"]');
    const score = card.getByTestId('news2-score');

    await gateway.publishAsync(OBS_TOPIC, batchPayload(bpReading('e2:00:00:00:00:01', 131)), { qos: 1 });
    await expect.poll(() => score.textContent()).toBe('0');
    await gateway.publishAsync(OBS_TOPIC, batchPayload(bpReading('e2:00:00:00:00:01', 88)), { qos: 1 });
    await expect.poll(() => score.textContent(), { timeout: 5000 }).toBe('3');
    expect(await card.getByTestId('news2-partial').textContent()).toMatch(
      /partial: respiration rate, SpO2, air or oxygen, consciousness \(ACVPU\) and temperature not recorded/,
    );
    expect(perResident).toEqual([]);
    await screenshot(page, 'ward-news2-live');

    await card.getByRole('link').first().click();
    const history = page.getByTestId('news2-history');
    await history.scrollIntoViewIfNeeded();
    await expect.poll(() => history.getAttribute('data-points')).toBe('2');
    expect(await page.getByTestId('news2-history-summary').textContent()).toMatch(
      /^2 changes in the last 7 days\. Now 3 \(partial\) since .+; highest 3 at/,
    );
    await history.locator('svg.recharts-surface').first().waitFor();
    await screenshot(page, 'patient-news2-history');
  });
});
