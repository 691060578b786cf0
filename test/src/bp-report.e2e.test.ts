/**
 * Blood-pressure management in Chromium: a nurse in charge opens a treated resident's NICE NG136
 * home-monitoring report (real server, real SQLite, the built dashboard), prints it, and guides a
 * lying-and-standing test whose 22 mmHg drop flags the resident at risk of falls, which a nurse
 * watching the ward sees appear on the bed card through the live feed.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../server/src/app.js';
import type { ServerContext } from '../../server/src/context.js';
import { attachRealtime, type RealtimeHub } from '../../server/src/realtime/hub.js';
import {
  OBS_TOPIC,
  TEST_PASSWORD,
  batch,
  bpObservation,
  testContext,
  testIngest,
} from '../../server/src/testing.js';
import { launchChromium, screenshot, seriousAxeViolations } from './browser.js';
import { builtDashboard } from './support.js';

const PATIENT = 'ward-a-p001';

describe('BP report and postural test in the browser', () => {
  let ctx: ServerContext;
  let app: FastifyInstance;
  let browser: Browser;
  let page: Page;
  /** A nurse's ward screen, in its own browser context: real timers, not the patient page's clock. */
  let wardContext: BrowserContext;
  let ward: Page;
  let hub: RealtimeHub;
  let base = '';

  beforeAll(async () => {
    ctx = await testContext();
    // Six days up to yesterday (UTC dates; London is on GMT or an hour ahead: 08:00/19:00 UTC stay
    // in the morning and evening sessions): 150/92 and 146/90, 152/94 and 148/92 each day.
    const readings = [];
    for (let back = 6; back >= 1; back--) {
      const day = new Date(Date.now() - back * 86_400_000).toISOString().slice(0, 10);
      for (const [time, systolic, diastolic] of [
        ['08:00', 150, 92],
        ['08:02', 146, 90],
        ['19:00', 152, 94],
        ['19:02', 148, 92],
      ] as const) {
        const o = bpObservation({ measuredAt: `${day}T${time}:00.000Z`, systolic });
        (o.values as { diastolic: { value: number } }).diastolic.value = diastolic;
        readings.push(o);
      }
    }
    expect((await testIngest(ctx).handle(OBS_TOPIC, batch(...readings))).observations).toHaveLength(24);
    await ctx.patients.updateDetails(PATIENT, { dateOfBirth: '1941-02-03' });
    app = await buildApp({ context: ctx, dashboardDir: builtDashboard, publicUrl: () => base });
    hub = attachRealtime(app);
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.setDefaultTimeout(10_000);
    // The postural test's timer runs on this clock, fast-forwarded below.
    await page.clock.install();
    await page.goto(`${base}/patients/${PATIENT}`);
    await page.getByTestId('login-username').fill('charge');
    await page.getByTestId('login-password').fill(TEST_PASSWORD);
    await page.getByTestId('login-submit').click();

    wardContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    ward = await wardContext.newPage();
    ward.setDefaultTimeout(10_000);
    await ward.goto(`${base}/wards/ward-a`);
    await ward.getByTestId('login-username').fill('nurse');
    await ward.getByTestId('login-password').fill(TEST_PASSWORD);
    await ward.getByTestId('login-submit').click();
    await ward.locator('[data-testid="connection-state"][data-state="live"]').waitFor();
  }, 60_000);
  afterAll(async () => {
    await wardContext?.close();
    await browser?.close();
    await hub?.close();
    await app?.close();
  });

  it('shows the series, the home average and the stage, with nothing serious for axe', async () => {
    await expect
      .poll(() => page.getByTestId('bp-stage').textContent())
      .toBe('Stage 1 hypertension (from 135/85)');
    expect(await page.getByTestId('bp-series').textContent()).toMatch(
      /^Complete: 6 days from .*, day one left out$/,
    );
    // Day one left out: 20 readings, mean 149/92.
    expect(await page.getByTestId('bp-average').textContent()).toBe('149/92 mmHg (20 readings)');
    expect(await seriousAxeViolations(page)).toEqual([]);
  });

  it('applies the 80-and-over target once the resident is marked treated', async () => {
    expect(await page.getByTestId('bp-target').count()).toBe(0);
    await page.getByTestId('bp-treated-toggle').click();
    await page.getByTestId('bp-report').getByRole('button', { name: '7 days' }).click();
    await expect
      .poll(() =>
        page
          .getByTestId('bp-target')
          .textContent()
          .catch(() => null),
      )
      .toBe('Below 145/85 mmHg (aged 85: 80 and over)');
    expect(await page.getByTestId('bp-share').textContent()).toBe('0% of readings below 145/85 (0 of 24)');
    const csv = await page.evaluate(
      async (href) => (await fetch(href!)).text(),
      await page.getByTestId('bp-csv').getAttribute('href'),
    );
    expect(csv).toContain('home_average,,149,92,20,,');
  });

  it('prints the report alone, with whose it is', async () => {
    await page.emulateMedia({ media: 'print' });
    await page.evaluate(() => document.body.classList.add('print-bp-report'));
    expect(await page.getByTestId('bp-report').isVisible()).toBe(true);
    expect(await page.getByTestId('bp-print-header').textContent()).toMatch(
      /^Ada Thornfield, aged 85 · printed /,
    );
    expect(await page.getByTestId('news2-panel').isVisible()).toBe(false);
    expect(await page.getByTestId('bp-print').isVisible()).toBe(false);
    await screenshot(page, 'bp-report-print');
    await page.evaluate(() => document.body.classList.remove('print-bp-report'));
    await page.emulateMedia({ media: 'screen' });
  });

  it('guides a lying-and-standing test and flags a 22 mmHg systolic drop as a falls risk, live on the ward', async () => {
    const bedCard = ward.locator(
      `[data-testid="bed-card"][data-bed-id="${(await ctx.wards.patient(PATIENT))!.bedId!}"]`,
    );
    await bedCard.waitFor();
    expect(await bedCard.getByTestId('falls-risk').count()).toBe(0);
    const snapshots: string[] = [];
    ward.on('request', (r) => {
      if (new URL(r.url()).pathname === '/api/wards/ward-a/beds') snapshots.push(r.url());
    });
    expect(await page.getByTestId('falls-risk-flag').count()).toBe(0);
    await page.getByTestId('postural-start').click();
    await page.getByTestId('postural-lying').fill('142/80');
    await page.getByTestId('postural-lying').press('Enter');
    // No standing reading is asked for before a minute has passed.
    expect(await page.getByTestId('postural-standing1').count()).toBe(0);
    await page.clock.fastForward('01:05');
    await page.getByTestId('postural-standing1').fill('120/76');
    await page.getByTestId('postural-standing1').press('Enter');
    expect(await page.getByTestId('postural-standing3').count()).toBe(0);
    await page.clock.fastForward('02:00');
    await page.getByTestId('postural-standing3').fill('124/78');
    await page.getByTestId('postural-standing3').press('Enter');
    await page.getByTestId('falls-risk-flag').waitFor();
    expect(await page.getByTestId('falls-risk-flag').textContent()).toMatch(
      /^At risk of falls \(postural hypotension\): systolic fell 22 mmHg at 1 minute standing\./,
    );
    await screenshot(page, 'bp-postural-flag');

    // The ward screen, left open, shows the badge without a reload or a fresh snapshot.
    const badge = bedCard.getByTestId('falls-risk');
    await badge.waitFor();
    expect(await badge.locator('strong').textContent()).toBe('Falls risk: postural drop');
    const lying = (await ctx.bp.posturalTests(PATIENT))[0]!.lying.measuredAt;
    const date = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric' });
    const detail = `Lying-then-standing test on ${date.format(Date.parse(lying))}: systolic fell 22 mmHg at 1 minute standing`;
    expect(await badge.getAttribute('title')).toBe(detail);
    // Screen readers hear the date and the drop, not only the label.
    expect(await badge.textContent()).toBe(`Falls risk: postural drop (${detail})`);
    expect(snapshots).toEqual([]);
    await screenshot(ward, 'ward-falls-risk-badge');
  });
});
