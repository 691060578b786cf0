/** The live ward grid in a real browser, fed by readings that travel the real broker and server. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { MqttClient } from 'mqtt';
import type { RunningBroker } from '@wardline/broker';
import type { RunningServer } from '@wardline/server';
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
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';

describe('dashboard in Chromium', () => {
  let broker: RunningBroker;
  let server: RunningServer;
  let gateway: MqttClient;
  let browser: Browser;

  beforeAll(async () => {
    broker = await startTestBroker();
    server = await startTestServer(broker.port, join(tempDir('dash'), 'wardline.db'), {
      dashboardDir: builtDashboard,
    });
    await waitUntil(() => server.context.mqttConnected(), 'server MQTT session');
    gateway = await connectGatewayClient(broker.port);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await gateway?.endAsync();
    await server?.close();
    await broker?.close();
  });

  it('shows a nurse the ward, then a new reading and a fall live on the bed', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`http://127.0.0.1:${server.port}/`);
    await page.getByTestId('login-username').fill('nurse');
    await page.getByTestId('login-password').fill(DEMO_PASSWORD);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('ward-name').filter({ hasText: 'E2E Care Home' }).first().waitFor();
    await page.locator('[data-testid="connection-state"][data-state="live"]').waitFor();
    const bed = page.locator('[data-testid="bed-card"][data-bed-id="ward-e2e-bed-1"]');
    await expect.poll(() => bed.getByTestId('resident-name').textContent(), { timeout: 5000 }).toBeTruthy();

    await gateway.publishAsync(
      'wardline/v1/site-e2e/gw-1/obs',
      batchPayload(bpReading('e2:00:00:00:00:01', 152)),
      {
        qos: 1,
      },
    );
    await expect
      .poll(() => bed.getByTestId('bp-value').textContent(), { timeout: 5000 })
      .toMatch(/152\s*\/\s*84\s*mmHg/);
    await expect
      .poll(() => bed.getByTestId('pulse-value').textContent(), { timeout: 5000 })
      .toMatch(/68\s*bpm/);

    const fall = {
      id: randomUUID(),
      deviceId: 'e2:00:00:00:01:01',
      kind: 'fall',
      measuredAt: new Date().toISOString(),
      seq: 9999,
      values: { confidence: { value: 93, unit: '%' } },
    };
    await gateway.publishAsync('wardline/v1/site-e2e/gw-1/obs', batchPayload(fall), { qos: 1 });
    await bed.getByTestId('fall-banner').waitFor({ timeout: 3000 });
    await expect
      .poll(() => page.getByTestId('fall-summary').textContent(), { timeout: 5000 })
      .toContain('Room 1');
    await screenshot(page, 'ward-grid-with-fall');
  });
});
