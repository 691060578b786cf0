/**
 * Clinical alerts in the dashboard, in Chromium, over the real broker and server: a fall raises
 * the ward's alert banner (time from MQTT publish to banner measured and logged), the nurse
 * acknowledges in one click and resolves with a note, and the banner clears. Then the alerts
 * inbox and the patient view with its charts, each checked with axe-core and photographed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { MqttClient } from 'mqtt';
import type { RunningBroker } from '@wardline/broker';
import { defaultAlertingConfig, type RunningServer } from '@wardline/server';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { launchChromium, screenshot, scrollToTrends, seriousAxeViolations } from './browser.js';
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

describe('clinical alerts in the dashboard', () => {
  let broker: RunningBroker;
  let server: RunningServer;
  let gateway: MqttClient;
  let browser: Browser;
  let base: string;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];
  const dbPath = join(tempDir('dash-alerts'), 'wardline.db');

  beforeAll(async () => {
    broker = await startTestBroker();
    server = await startTestServer(broker.port, dbPath, {
      dashboardDir: builtDashboard,
      // Post-fall prompts come on the tick: a short one keeps the test quick.
      config: { alerting: { ...defaultAlertingConfig(), tickMs: 500 } },
    });
    base = `http://127.0.0.1:${server.port}`;
    await waitUntil(() => server.context.mqttConnected(), 'server MQTT session');
    gateway = await connectGatewayClient(broker.port);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(8000);
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await gateway?.endAsync();
    await server?.close();
    await broker?.close();
  });

  it('raises a fall within a second, acknowledges in one click and resolves with a note', async () => {
    await page.goto(`${base}/wards/ward-e2e`);
    await page.getByTestId('login-username').fill('nurse');
    await page.getByTestId('login-password').fill(DEMO_PASSWORD);
    await page.getByTestId('login-submit').click();
    await page.locator('[data-testid="connection-state"][data-state="live"]').waitFor();
    const banner = page.getByTestId('alert-banner');
    await expect.poll(() => banner.getAttribute('data-count')).toBe('0');

    const fall = {
      id: randomUUID(),
      deviceId: 'e2:00:00:00:01:01',
      kind: 'fall',
      measuredAt: new Date().toISOString(),
      seq: 9001,
      values: { confidence: { value: 93, unit: '%' } },
    };
    const published = performance.now();
    await gateway.publishAsync(OBS_TOPIC, batchPayload(fall), { qos: 1 });
    await page.waitForFunction(
      () => document.querySelector('[data-testid="alert-banner-item"][data-condition="fall"]') !== null,
      undefined,
      { timeout: 5000, polling: 'raf' },
    );
    const bannerMs = performance.now() - published;
    console.log(`fall: MQTT publish -> alert banner visible ${bannerMs.toFixed(0)} ms`);
    expect(bannerMs).toBeLessThan(1000);

    const item = page.locator('[data-testid="alert-banner-item"][data-condition="fall"]');
    // The help press that follows is the same incident: one banner item, worded for both.
    await gateway.publishAsync(
      OBS_TOPIC,
      batchPayload({
        ...fall,
        id: randomUUID(),
        kind: 'help_request',
        measuredAt: new Date().toISOString(),
        seq: 9002,
        values: {},
      }),
      { qos: 1 },
    );
    await expect.poll(() => item.textContent()).toContain('Fall detected, help button pressed');
    await expect
      .poll(() =>
        page
          .locator('[data-testid="alert-banner-item"]')
          .evaluateAll((items) => items.map((i) => `${i.getAttribute('data-condition')}: ${i.textContent}`)),
      )
      .toEqual([expect.stringContaining('Fall detected, help button pressed')]);
    // The tone played once (Web Audio; signing in was the user gesture that allows it).
    await expect.poll(() => page.getByTestId('alert-announcer').getAttribute('data-tones-played')).toBe('1');
    await expect.poll(() => page.getByTestId('alert-announcer').textContent()).toMatch(/alert: .*Room 1/i);
    // The card carries the alert too, and the bed is first in the ward's order.
    await expect
      .poll(() => page.locator('[data-testid="bed-card"]').first().getAttribute('data-bed-id'))
      .toBe('ward-e2e-bed-1');
    await screenshot(page, 'alerts-ward-fall-banner');

    // One click.
    await item.getByTestId('alert-acknowledge').click();
    await expect.poll(() => item.getAttribute('data-state')).toBe('acknowledged');
    await expect
      .poll(() => item.getByTestId('alert-acknowledged-by').textContent())
      .toMatch(/by nurse at \d\d:\d\d/);

    // Resolving needs a note: an empty one is refused in the form.
    await item.getByTestId('alert-resolve').click();
    await item.getByTestId('alert-resolve-submit').click();
    await expect.poll(() => item.locator('.field-error').first().textContent()).toContain('Enter a note');
    await item.getByTestId('alert-resolve-note').fill('Found on the floor, no injury, helped back to bed.');
    await item.getByTestId('alert-resolve-submit').click();
    await expect.poll(() => item.count()).toBe(0);
    await expect.poll(() => page.getByTestId('fall-summary').count()).toBe(0);
    await expect
      .poll(() =>
        page.locator('[data-testid="bed-card"][data-bed-id="ward-e2e-bed-1"]').getAttribute('data-alert'),
      )
      .toBeNull();

    // Acknowledged, the fall asks for post-fall observations; the prompt leads to the form, which completes it.
    const prompt = page.locator('[data-testid="alert-banner-item"][data-condition="post_fall_obs"]');
    await expect.poll(() => prompt.textContent()).toContain('Post-fall observations due (set 1 of 7)');
    await prompt.getByTestId('alert-record-observations').click();
    await page.getByTestId('patient-name').waitFor();
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.closest('#record-observations') !== null))
      .toBe(true);
    await page.getByTestId('manual-respirationRate').fill('17');
    await page.getByTestId('manual-acvpu-A').check();
    await page.getByTestId('manual-oxygen-no').check();
    await page.getByTestId('manual-submit').click();
    await expect.poll(() => page.getByTestId('manual-saved').textContent()).toMatch(/Saved \d+ observations/);
    await page.goBack();
    await page.locator('[data-testid="connection-state"][data-state="live"]').waitFor();
    await expect.poll(() => prompt.count()).toBe(0);
    await expect.poll(() => banner.getAttribute('data-count')).toBe('0');

    // The mute choice survives a reload (kept per browser).
    await page.getByTestId('alert-mute').check();
    await page.reload();
    await expect.poll(() => page.getByTestId('alert-mute').isChecked()).toBe(true);
    await page.getByTestId('alert-mute').uncheck();
  });

  it('shows the alerts inbox with filters, escalation and the resolution note, with no serious axe findings', async () => {
    await page.getByTestId('nav-alerts').click();
    await page.getByTestId('filter-state').selectOption('all');
    await expect.poll(() => page.url()).toContain('/alerts?state=all');
    const row = page.locator('[data-testid="alert-row"][data-condition="fall"]');
    await expect.poll(() => row.getAttribute('data-state')).toBe('resolved');
    await expect.poll(() => row.textContent()).toContain('Found on the floor');
    await expect.poll(() => row.getByTestId('alert-escalation').textContent()).toMatch(/Level \d/);
    await page.getByTestId('filter-state').selectOption('resolved');
    await page.getByTestId('filter-priority').selectOption('low');
    await expect.poll(() => page.getByTestId('alerts-empty').count()).toBe(1);
    await page.getByTestId('filter-priority').selectOption('');
    await expect.poll(() => row.count()).toBe(1);
    expect(await seriousAxeViolations(page)).toEqual([]);
    await screenshot(page, 'alerts-inbox');
  });

  it('draws the patient trends with thresholds and takes a manual observation, with no serious axe findings', async () => {
    const now = Date.now();
    const readings = [150, 162, 171].map((s, i) => ({
      ...bpReading('e2:00:00:00:00:01', s),
      seq: 100 + i,
      measuredAt: new Date(now - (3 - i) * 60_000).toISOString(),
    }));
    await gateway.publishAsync(OBS_TOPIC, batchPayload(...readings), { qos: 1 });
    await page.getByTestId('nav-wards').click();
    await page
      .locator('[data-testid="bed-card"][data-bed-id="ward-e2e-bed-1"]')
      .getByTestId('patient-link')
      .click();
    await page
      .getByTestId('patient-name')
      .waitFor()
      .catch(async (err: unknown) => {
        await screenshot(page, 'alerts-failure-patient-view');
        throw new Error(`${String(err)}\npage errors: ${pageErrors.join('\n')}`);
      });
    const bp = page.locator('[data-testid="trend"][data-kind="blood_pressure"]');
    // The charts are a lazily loaded chunk, fetched when their panel comes near the screen.
    await scrollToTrends(page);
    await bp.waitFor({ timeout: 20_000 });
    await expect.poll(() => bp.getAttribute('data-points'), { timeout: 20_000 }).not.toBe('0');
    await expect.poll(() => bp.locator('svg .recharts-reference-area').count()).toBeGreaterThan(0);
    await page.getByTestId('trend-range-1h').click();
    await expect.poll(() => page.getByTestId('trend-range-1h').getAttribute('aria-pressed')).toBe('true');
    await expect.poll(() => bp.textContent()).toMatch(/latest 171 mmHg/);
    // The cuff's pulse is drawn on the pulse chart; an empty chart says so once.
    const pulse = page.locator('[data-testid="trend"][data-kind="heart_rate"]');
    await expect
      .poll(() => pulse.getByTestId('trend-summary').textContent())
      .toMatch(/^Pulse \(cuff\): latest \d+ bpm/);
    await expect(pulse.locator('svg .recharts-scatter-symbol').count()).resolves.toBeGreaterThan(0);
    const temperature = page.locator('[data-testid="trend"][data-kind="body_temperature"]');
    expect((await temperature.innerText()).match(/No readings in this period/g)).toHaveLength(1);

    // Manual NEWS2 observations, keyboard only for the radios.
    await page.getByTestId('manual-submit').click();
    await expect
      .poll(() => page.locator('.error-summary').textContent())
      .toContain('Enter the respiration rate');
    await page.getByTestId('manual-respirationRate').fill('18');
    await page.getByTestId('manual-acvpu-A').focus();
    await page.keyboard.press('Space');
    await page.getByTestId('manual-oxygen-no').check();
    await page.getByTestId('manual-submit').click();
    await expect.poll(() => page.getByTestId('manual-saved').textContent()).toMatch(/Saved \d+ observations/);
    await expect.poll(() => page.getByTestId('news2-panel').textContent()).toContain('Respiration rate');

    expect(await seriousAxeViolations(page)).toEqual([]);
    await screenshot(page, 'alerts-patient-trends');
  });

  it('lets an admin set thresholds and the SpO2 scale with a reason, and record a family contact with consent', async () => {
    const admin = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    admin.setDefaultTimeout(8000);
    try {
      const a = await admin.newPage();
      await a.goto(`${base}/admin`);
      await a.getByTestId('login-username').fill('admin');
      await a.getByTestId('login-password').fill(DEMO_PASSWORD);
      await a.getByTestId('login-submit').click();
      const form = a.getByTestId('thresholds-form');
      const resident = a.getByTestId('settings-resident');
      await resident.waitFor();
      await resident.selectOption({
        label: await resident.locator('option', { hasText: 'Room 1,' }).first().innerText(),
      });
      await a.getByTestId('threshold-scale-2').check();
      await a.getByTestId('threshold-save').click();
      await expect
        .poll(() => form.locator('.field-error').first().textContent())
        .toContain('Enter the reason');
      await a
        .getByTestId('threshold-reason')
        .fill('Hypercapnic respiratory failure, prescribed by Dr Okafor');
      await a.getByTestId('threshold-save').click();
      await expect.poll(() => a.getByTestId('threshold-result').textContent()).toContain('spo2Scale');
      await expect.poll(() => form.locator('table').textContent()).toContain('prescribed by Dr Okafor');

      const contacts = a.getByTestId('contacts');
      await contacts.locator('summary').click();
      const add = contacts.locator('details [data-testid="contact-form"]');
      await add.getByLabel('Name', { exact: true }).fill('Sam Thornfield');
      await add.getByLabel('Family sign-in name (optional)').fill('family');
      await add.getByLabel(/Where the consent came from/).fill('verbal, recorded by phone');
      await add.getByRole('button', { name: 'Add contact' }).click();
      await expect
        .poll(() => contacts.locator('.contacts__list').textContent())
        .toContain('Consent recorded by');
      expect(await seriousAxeViolations(a)).toEqual([]);
      await screenshot(a, 'alerts-admin-settings');
    } finally {
      await admin.close();
    }
  });

  it('shows the family member the fall in plain, limited words', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 } });
    phone.setDefaultTimeout(8000);
    try {
      const f = await phone.newPage();
      await f.goto(`${base}/family`);
      await f.getByTestId('login-username').fill('family');
      await f.getByTestId('login-password').fill(DEMO_PASSWORD);
      await f.getByTestId('login-submit').click();
      const item = f.getByTestId('family-alert').first();
      await expect.poll(() => item.textContent()).toMatch(/The care team dealt with it/);
      // Limited wording: no note, no confidence figure.
      await expect.poll(() => f.getByTestId('family-alerts').textContent()).not.toContain('no injury');
      expect(await seriousAxeViolations(f)).toEqual([]);
      await screenshot(f, 'alerts-family-recent');
    } finally {
      await phone.close();
    }
  });

  it('resyncs the alerts after a reconnection: an alert opened while the page was cut off appears', async () => {
    await page.goto(`${base}/wards/ward-e2e`);
    await page.locator('[data-testid="connection-state"][data-state="live"]').waitFor();
    const banner = page.getByTestId('alert-banner');
    const before = Number(await banner.getAttribute('data-count'));

    // Cut the page's socket off: restart the server while socket.io cannot reconnect.
    await page.route('**/socket.io/**', (route) => route.abort());
    const port = server.port;
    await server.close();
    await expect.poll(() => page.getByTestId('connection-state').getAttribute('data-state')).not.toBe('live');
    server = await startTestServer(broker.port, dbPath, { dashboardDir: builtDashboard, port });
    await waitUntil(() => server.context.mqttConnected(), 'server MQTT session');
    await gateway.publishAsync(
      OBS_TOPIC,
      batchPayload({
        id: randomUUID(),
        deviceId: 'e2:00:00:00:01:01',
        kind: 'fall',
        measuredAt: new Date().toISOString(),
        seq: 9002,
        values: { confidence: { value: 88, unit: '%' } },
      }),
      { qos: 1 },
    );
    await waitUntil(
      async () =>
        (await server.context.alerting.store.list({ state: 'open', condition: 'fall', limit: 10 })).length >
        0,
      'fall alert opened on the server',
    );
    // No event reached the page: the banner still shows what it had.
    expect(Number(await banner.getAttribute('data-count'))).toBe(before);

    await page.unroute('**/socket.io/**');
    await page.locator('[data-testid="connection-state"][data-state="live"]').waitFor({ timeout: 15_000 });
    await expect
      .poll(() => page.locator('[data-testid="alert-banner-item"][data-condition="fall"]').count(), {
        timeout: 5000,
      })
      .toBe(1);
  });
});
