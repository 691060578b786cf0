/**
 * The dashboard's screens in Chromium, driven as their users would: keyboard sign-in, a nurse's
 * ward and patient views, an admin admitting a resident and assigning a device, a family member
 * on a phone, and every live screen through a server restart. Each screen is checked with
 * axe-core and photographed into test-artifacts/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { MqttClient } from 'mqtt';
import type { RunningBroker } from '@wardline/broker';
import type { RunningServer } from '@wardline/server';
import { SESSION_COOKIE } from '@wardline/protocol';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { launchChromium, screenshot, seriousAxeViolations } from './browser.js';
import {
  DEMO_PASSWORD,
  apiGet,
  batchPayload,
  bpReading,
  builtDashboard,
  connectGatewayClient,
  signIn,
  startTestBroker,
  startTestServer,
  tempDir,
  waitUntil,
} from './support.js';

const OBS_TOPIC = 'wardline/v1/site-e2e/gw-1/obs';
const HOUR = 3600_000;

describe('dashboard screens in Chromium', () => {
  let broker: RunningBroker;
  let server: RunningServer;
  let gateway: MqttClient;
  let browser: Browser;
  let base: string;
  const dbPath = join(tempDir('dash-screens'), 'wardline.db');
  const contexts: BrowserContext[] = [];

  const startServer = async (port = 0) => {
    server = await startTestServer(broker.port, dbPath, { dashboardDir: builtDashboard, port });
    base = `http://127.0.0.1:${server.port}`;
    await waitUntil(() => server.context.mqttConnected(), 'server MQTT session');
  };

  const newPage = async (viewport = { width: 1280, height: 900 }): Promise<Page> => {
    const context = await browser.newContext({ viewport });
    // Fail on the step that is stuck, with its locator, well inside the test's own timeout.
    context.setDefaultTimeout(8000);
    contexts.push(context);
    return context.newPage();
  };

  const signInAs = async (page: Page, username: string, path = '/') => {
    await page.goto(`${base}${path}`);
    await page.getByTestId('login-username').fill(username);
    await page.getByTestId('login-password').fill(DEMO_PASSWORD);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('sign-out').waitFor();
  };

  const expectAccessible = async (page: Page) => {
    expect(await seriousAxeViolations(page)).toEqual([]);
  };

  const publish = (...observations: unknown[]) =>
    gateway.publishAsync(OBS_TOPIC, batchPayload(...observations), { qos: 1 });

  beforeAll(async () => {
    broker = await startTestBroker();
    await startServer();
    gateway = await connectGatewayClient(broker.port);
    browser = await launchChromium();
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await gateway?.endAsync();
    await server?.close();
    await broker?.close();
  });

  it('signs a nurse in by keyboard alone and leads to the ward and a patient', async () => {
    await publish({
      ...bpReading('e2:00:00:00:00:01', 128),
      measuredAt: new Date(Date.now() - 2 * HOUR).toISOString(),
    });

    const page = await newPage();
    await page.goto(`${base}/`);
    await page.getByTestId('login-submit').waitFor();
    await expectAccessible(page);
    await screenshot(page, 'screen-sign-in');

    // Skip link first, then the form, in order; Enter submits.
    await page.keyboard.press('Tab');
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe(
      'Skip to main content',
    );
    await page.keyboard.press('Tab');
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('login-username');
    await page.keyboard.type('nurse');
    await page.keyboard.press('Tab');
    await page.keyboard.type(DEMO_PASSWORD);
    await page.keyboard.press('Enter');

    // One ward: straight to it, with a bookmarkable address.
    await page.getByTestId('ward-name').filter({ hasText: 'E2E Care Home' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/wards/ward-e2e');
    await page.locator('[data-testid="connection-state"][data-state="live"]').waitFor();
    await expect(page.getByTestId('nav-wards').getAttribute('aria-current')).resolves.toBe('page');
    await expect(page.getByTestId('nav-admin').count()).resolves.toBe(0);
    await expectAccessible(page);
    await screenshot(page, 'screen-ward');

    // Tab to the first resident's name and open it with Enter.
    const link = page.locator('[data-bed-id="ward-e2e-bed-1"] [data-testid="patient-link"]');
    const residentName = (await link.textContent()) ?? '';
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      if (await link.evaluate((el) => el === document.activeElement)) break;
    }
    await expect(link.evaluate((el) => el === document.activeElement)).resolves.toBe(true);
    await page.keyboard.press('Enter');

    await page.getByTestId('patient-name').filter({ hasText: residentName }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/patients/ward-e2e-p001');
    await expect
      .poll(() => page.getByTestId('patient-bed').textContent(), { timeout: 5000 })
      .toContain('Room 1');
    await page.locator('[data-testid="connection-state"][data-state="live"]').waitFor();
    await expect
      .poll(() => page.getByTestId('latest-bp').textContent(), { timeout: 5000 })
      .toBe('128/84 mmHg');
    await expect
      .poll(() => page.getByTestId('patient-vitals').textContent(), { timeout: 5000 })
      .toContain('2 h ago');
    await expect
      .poll(() => page.getByTestId('history-row').first().textContent(), { timeout: 5000 })
      .toContain('128/84 mmHg, pulse 68 bpm');
    await page.getByTestId('patient-trends').waitFor();

    // A new reading arrives live on the patient view, in the latest values and the history.
    await publish(bpReading('e2:00:00:00:00:01', 141));
    await expect
      .poll(() => page.getByTestId('latest-bp').textContent(), { timeout: 5000 })
      .toBe('141/84 mmHg');
    await expect
      .poll(() => page.getByTestId('history-row').first().textContent(), { timeout: 5000 })
      .toContain('141/84 mmHg');
    await expect(page.getByTestId('history-row').count()).resolves.toBe(2);
    await expectAccessible(page);
    await screenshot(page, 'screen-patient');

    // Reload keeps the screen (the server serves the app for client-side addresses).
    await page.reload();
    await page.getByTestId('patient-name').filter({ hasText: residentName }).waitFor();

    // A nurse typing the admin address is told it is not available.
    await page.goto(`${base}/admin`);
    await page.getByTestId('not-available').waitFor();
  });

  it('lets an admin discharge, admit, register and assign; the device’s next reading shows on the new resident', async () => {
    const page = await newPage({ width: 1024, height: 1366 }); // a tablet, portrait
    await signInAs(page, 'admin', '/admin');
    const residentRow = page.locator('[data-testid="resident-row"][data-patient-id="ward-e2e-p002"]');
    await residentRow.waitFor();
    await expectAccessible(page);

    // A second tab keeps the resident about to be discharged open, as a nurse might.
    const oldTab = await page.context().newPage();
    await oldTab.goto(`${base}/patients/ward-e2e-p002`);
    const oldName = (await oldTab.getByTestId('patient-name').textContent()) ?? '';
    await oldTab.locator('[data-testid="connection-state"][data-state="live"]').waitFor();
    await page.bringToFront();

    // Discharge asks first; Cancel changes nothing.
    await residentRow.getByTestId('discharge-button').click();
    const dialog = page.getByTestId('confirm-dialog');
    await expect.poll(() => dialog.textContent(), { timeout: 5000 }).toContain('Room 2');
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe('Cancel');
    await page.keyboard.press('Escape');
    await expect(dialog.isVisible()).resolves.toBe(false);
    await residentRow.getByTestId('discharge-button').click();
    await page.getByTestId('confirm-yes').click();
    await page.getByTestId('admin-message').filter({ hasText: 'discharged from Room 2' }).waitFor();
    await residentRow.waitFor({ state: 'detached' });

    // The admit form explains what is missing before sending anything.
    await page.getByTestId('admit-submit').click();
    const admitError = page.getByTestId('admit-error');
    await expect
      .poll(() => admitError.textContent(), { timeout: 5000 })
      .toContain('Enter the resident’s name');
    await expect(admitError.evaluate((el) => el === document.activeElement)).resolves.toBe(true);

    await page.getByTestId('admit-name').fill('Winifred Example');
    await page.getByTestId('admit-bed').selectOption('ward-e2e-bed-2');
    await page.getByTestId('admit-submit').click();
    await page
      .getByTestId('admin-message')
      .filter({ hasText: 'Winifred Example was admitted to Room 2' })
      .waitFor();
    const newRow = page.locator('[data-testid="resident-row"]', { hasText: 'Winifred Example' });
    await newRow.waitFor();
    const newPatientId = (await newRow.getAttribute('data-patient-id')) ?? '';
    expect(newPatientId).toMatch(/^p-/);

    // Registering a device that exists: the API's conflict, in words, with its code.
    await page.getByTestId('device-id-input').fill('e2:00:00:00:00:01');
    await page.getByTestId('device-model-input').fill('bp-cuff');
    await page.getByTestId('register-device-submit').click();
    await expect
      .poll(() => page.getByTestId('register-error').textContent(), { timeout: 5000 })
      .toMatch(/already registered.*WL_CONFLICT/);
    await page.getByTestId('device-id-input').fill('e2:00:00:00:00:99');
    await page.getByTestId('device-model-input').fill('thermometer');
    await page.getByTestId('register-device-submit').click();
    await page.getByTestId('admin-message').filter({ hasText: 'e2:00:00:00:00:99 was registered' }).waitFor();
    await page.locator('[data-testid="device-row"][data-device-id="e2:00:00:00:00:99"]').waitFor();

    // The discharged resident's cuff is free: assign it to the new resident.
    const cuff = page.locator('[data-testid="device-row"][data-device-id="e2:00:00:00:00:02"]');
    await expect
      .poll(() => cuff.getByTestId('device-assigned-to').textContent(), { timeout: 5000 })
      .toBe('Not assigned');
    await cuff.getByTestId('assign-select').selectOption(newPatientId);
    await cuff.getByTestId('assign-button').click();
    await page.getByTestId('admin-message').filter({ hasText: 'now assigned to Winifred Example' }).waitFor();
    await expect
      .poll(() => cuff.getByTestId('device-assigned-to').textContent(), { timeout: 5000 })
      .toContain('Winifred Example');

    // Gateways: gw-1 reports online.
    await gateway.publishAsync(
      'wardline/v1/site-e2e/gw-1/status',
      JSON.stringify({
        v: 1,
        state: 'online',
        at: new Date().toISOString(),
        outbox: { pending: 0, capacity: 5000 },
      }),
      { qos: 1, retain: true },
    );
    // Rejected messages: a payload that is not JSON, filtered by its code, with the URL kept.
    await gateway.publishAsync(OBS_TOPIC, '{"v":1, not json', { qos: 1 });
    await waitUntil(
      async () => (await server.context.deadLetters.list({ limit: 1 })).length > 0,
      'dead letter',
    );
    await page.getByTestId('admin-refresh').click();
    await page.locator('[data-testid="gateway-row"][data-gateway-id$="gw-1"][data-state="online"]').waitFor();
    await page.getByTestId('dead-letter-code').selectOption('MALFORMED_JSON');
    expect(new URL(page.url()).search).toBe('?code=MALFORMED_JSON');
    const letter = page.locator('[data-testid="dead-letter-row"][data-code="MALFORMED_JSON"]').first();
    await letter.locator('summary').click();
    await expect.poll(() => letter.locator('pre').textContent(), { timeout: 5000 }).toContain('not json');
    await expectAccessible(page);
    await screenshot(page, 'screen-admin');

    // The ward shows the new resident; the assigned cuff's next reading lands on their card.
    await page.getByTestId('nav-wards').click();
    const bed2 = page.locator('[data-testid="bed-card"][data-bed-id="ward-e2e-bed-2"]');
    await expect
      .poll(() => bed2.getByTestId('resident-name').textContent(), { timeout: 5000 })
      .toBe('Winifred Example');
    await page.locator('[data-testid="connection-state"][data-state="live"]').waitFor();
    await publish(bpReading('e2:00:00:00:00:02', 147));
    await expect
      .poll(() => bed2.getByTestId('bp-value').textContent(), { timeout: 5000 })
      .toBe('147/84 mmHg');
    await screenshot(page, 'screen-ward-after-admission');

    // The open tab never shows the new resident's readings under the old name.
    // (The server sends no event on admission; the tab notices from the reading, after its
    // resync spacing of up to 10 s.)
    await oldTab.getByTestId('moved-notice').waitFor({ timeout: 15_000 });
    await expect
      .poll(() => oldTab.getByTestId('patient-name').textContent(), { timeout: 5000 })
      .toBe(oldName);
    await expect(oldTab.getByTestId('latest-bp').count()).resolves.toBe(0);
    await oldTab.reload();
    await oldTab.getByTestId('discharged-notice').waitFor();
    await oldTab.close();
  }, 45_000);

  it('shows a family member only their relative, in plain words, on a phone', async () => {
    const nurseToken = await signIn(base, 'nurse');
    const relative = await apiGet<{ displayName: string }>(base, '/api/patients/ward-e2e-p001', nurseToken);
    await publish({
      id: randomUUID(),
      deviceId: 'e2:00:00:00:00:01',
      kind: 'body_temperature',
      measuredAt: new Date(Date.now() - 2 * HOUR - 60_000).toISOString(),
      seq: 90_001,
      values: { temperature: { value: 37.2, unit: '°C' } },
    });
    await publish(bpReading('e2:00:00:00:00:01', 136));

    const page = await newPage({ width: 390, height: 844 });
    await signInAs(page, 'family');
    await page.getByTestId('family-relative-name').filter({ hasText: relative.displayName }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/family');

    // The demo's contact has not consented to clinical detail: words and a time, never a number.
    await expect
      .poll(() => page.getByTestId('family-limited-readings').textContent(), { timeout: 5000 })
      .toMatch(
        /^Readings are being taken as planned\. The last reading was taken (just now|1 minute ago) \(/,
      );
    const limitedText = await page.locator('main').innerText();
    expect(limitedText).not.toMatch(/mmHg|°C|bpm|136|37\.2/);
    await expect(page.getByTestId('family-reading').count()).resolves.toBe(0);
    await expectAccessible(page);
    await screenshot(page, 'screen-family-no-consent');
    const familyCookie = (await page.context().cookies()).find((c) => c.name === SESSION_COOKIE)!;
    const asFamily = { cookie: `${SESSION_COOKIE}=${familyCookie.value}` };
    for (const path of ['observations', 'history?kind=blood_pressure', 'news2']) {
      const res = await fetch(`${base}/api/patients/ward-e2e-p001/${path}`, { headers: asFamily });
      expect([path, res.status]).toEqual([path, 403]);
    }

    // The care home records consent to clinical detail: the same page now shows the readings.
    const adminToken = await signIn(base, 'admin');
    const [contact] = await apiGet<(Record<string, unknown> & { id: number; consent: object })[]>(
      base,
      '/api/patients/ward-e2e-p001/contacts',
      adminToken,
    );
    const { id, patientId: _p, consentRecordedAt: _at, consentRecordedBy: _by, ...input } = contact!;
    const updated = await fetch(`${base}/api/patients/ward-e2e-p001/contacts/${id}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        ...input,
        consent: { ...contact!.consent, clinicalDetail: true },
        consentNote: 'written consent to clinical detail, e2e test',
      }),
    });
    expect(updated.status).toBe(200);
    await page.reload();
    await expect(page.locator('nav[aria-label="Main"]').count()).resolves.toBe(0);
    await expect(
      page.locator('[data-testid="family-reading"][data-key="temperature"]').textContent(),
    ).resolves.toBe('Temperature 37.2 °C, taken 2 hours ago');
    // Half a minute old when published; a slow run may see it turn a minute.
    await expect(
      page.locator('[data-testid="family-reading"][data-key="bp"]').textContent(),
    ).resolves.toMatch(/^Blood pressure 136\/84 mmHg, taken (just now|1 minute ago)$/);
    await expect
      .poll(() => page.getByTestId('family-equipment').textContent(), { timeout: 5000 })
      .toMatch(/^The monitoring equipment is working\. It last sent a reading (just now|1 minute ago)\.$/);
    await expect
      .poll(() => page.getByTestId('family-alerts').textContent(), { timeout: 5000 })
      .toContain('will appear here');
    await page.locator('[data-testid="connection-state"][data-state="live"]').waitFor();

    // Live: a new reading replaces the sentence without a reload.
    await publish(bpReading('e2:00:00:00:00:01', 119));
    await expect
      .poll(() => page.locator('[data-testid="family-reading"][data-key="bp"]').textContent(), {
        timeout: 5000,
      })
      .toBe('Blood pressure 119/84 mmHg, taken just now');
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(390); // nothing scrolls sideways on the phone
    await expectAccessible(page);
    await screenshot(page, 'screen-family-phone');

    // Typed addresses for another resident, a ward or admin: not available, and no data leaks.
    for (const path of ['/patients/ward-e2e-p002', '/wards/ward-e2e', '/wards', '/admin']) {
      await page.goto(`${base}${path}`);
      await page.getByTestId('not-available').waitFor();
      await expect(page.getByTestId('bed-card').count()).resolves.toBe(0);
    }
    await expectAccessible(page);
    await screenshot(page, 'screen-family-not-available');
    await page.getByTestId('go-home').click();
    await page.getByTestId('family-view').waitFor();

    // The API refuses the same things for their cookie.
    const cookie = (await page.context().cookies()).find((c) => c.name === SESSION_COOKIE);
    expect(cookie).toBeDefined();
    const headers = { cookie: `${SESSION_COOKIE}=${cookie!.value}` };
    for (const path of [
      '/api/patients/ward-e2e-p002',
      '/api/patients/ward-e2e-p002/observations',
      '/api/wards',
      '/api/wards/ward-e2e/beds',
    ]) {
      const res = await fetch(`${base}${path}`, { headers });
      expect([path, res.status]).toEqual([path, 403]);
    }
    const own = await fetch(`${base}/api/patients/ward-e2e-p001`, { headers });
    expect(own.status).toBe(200);
  });

  it('marks a reading the cuff flagged, in words, on the bed card and the patient screen, until a sound one', async () => {
    const page = await newPage();
    await signInAs(page, 'nurse', '/wards/ward-e2e');
    const bed1 = page.locator('[data-testid="bed-card"][data-bed-id="ward-e2e-bed-1"]');
    await publish({ ...bpReading('e2:00:00:00:00:01', 122), quality: ['irregular_pulse', 'cuff_too_loose'] });
    await expect
      .poll(() => bed1.getByTestId('reading-quality').allTextContents(), { timeout: 5000 })
      .toEqual(['Cuff too loose — repeat this reading', 'Irregular pulse — check for atrial fibrillation']);
    await expect(bed1.getByTestId('bp-value').getAttribute('data-flagged')).resolves.toBe('true');
    await expect(bed1.getByTestId('pulse-value').getAttribute('data-flagged')).resolves.toBe('true');
    await expectAccessible(page);
    await screenshot(page, 'screen-ward-flagged-reading');

    await bed1.getByTestId('patient-link').click();
    const vitals = page.getByTestId('patient-vitals');
    await expect
      .poll(() => vitals.getByTestId('reading-quality').allTextContents(), { timeout: 5000 })
      .toEqual(['Cuff too loose — repeat this reading', 'Irregular pulse — check for atrial fibrillation']);
    await expect
      .poll(() => page.getByTestId('history-row').first().textContent(), { timeout: 5000 })
      .toContain('Cuff too loose — repeat this reading');
    await expectAccessible(page);

    // The repeat, taken properly, is shown plain: the marks belong to the reading, not the resident.
    await publish(bpReading('e2:00:00:00:00:01', 124));
    await expect
      .poll(() => page.getByTestId('latest-bp').textContent(), { timeout: 5000 })
      .toBe('124/84 mmHg');
    await expect(vitals.getByTestId('reading-quality').count()).resolves.toBe(0);
    await expect(page.getByTestId('latest-bp').getAttribute('data-flagged')).resolves.toBeNull();
  });

  it('shows the connection as lost on every live screen while the server is down, and recovers with fresh data', async () => {
    const nurse = await newPage();
    await signInAs(nurse, 'nurse', '/wards/ward-e2e');
    const patient = await nurse.context().newPage();
    await patient.goto(`${base}/patients/ward-e2e-p001`);
    const family = await newPage({ width: 390, height: 844 });
    await signInAs(family, 'family', '/family');
    const screens = [nurse, patient, family];
    for (const page of screens)
      await page.locator('[data-testid="connection-state"][data-state="live"]').waitFor();

    const port = server.port;
    await server.close();
    for (const page of screens) {
      await page
        .locator('[data-testid="connection-state"][data-state="lost"]')
        .waitFor({ timeout: 10_000 })
        .catch(async (err: unknown) => {
          const state = await page
            .getByTestId('connection-state')
            .getAttribute('data-state')
            .catch(() => 'none');
          console.error(
            `DEBUG state=${state} url=${page.url()} body=${(await page.locator('body').innerText()).slice(0, 300)}`,
          );
          throw err;
        });
      await expect
        .poll(() => page.getByTestId('stale-notice').textContent(), { timeout: 5000 })
        .toMatch(/out of date|not updating/);
    }
    await expect(nurse.getByTestId('connection-state').getAttribute('role')).resolves.toBe('status');
    await expectAccessible(nurse);
    await screenshot(nurse, 'screen-ward-connection-lost');
    await screenshot(family, 'screen-family-connection-lost');

    // A reading taken while the server is down waits in the broker for the server's session.
    await publish(bpReading('e2:00:00:00:00:01', 163));

    await startServer(port);
    for (const page of screens) {
      await page.locator('[data-testid="connection-state"][data-state="live"]').waitFor({ timeout: 15_000 });
      await expect(page.getByTestId('stale-notice').count()).resolves.toBe(0);
    }
    const bed1 = nurse.locator('[data-testid="bed-card"][data-bed-id="ward-e2e-bed-1"]');
    await expect
      .poll(() => bed1.getByTestId('bp-value').textContent(), { timeout: 5000 })
      .toBe('163/84 mmHg');
    await expect
      .poll(() => patient.getByTestId('latest-bp').textContent(), { timeout: 5000 })
      .toBe('163/84 mmHg');
    await expect
      .poll(() => family.locator('[data-testid="family-reading"][data-key="bp"]').textContent(), {
        timeout: 5000,
      })
      .toBe('Blood pressure 163/84 mmHg, taken just now');
    // Its steps may wait 10 s for each screen to show the loss and 15 s for each to be live again, and
    // the server restarts in between (slower with records in PostgreSQL on a busy machine): a stuck
    // step fails on its own timeout, never on the test's.
  }, 120_000);
});
