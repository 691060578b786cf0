/**
 * How the built dashboard reaches a ward tablet, checked the way it can be checked every run
 * (Lighthouse's scores swing with CPU load: `npm run bench -- lighthouse` prints them): the real
 * server serving dashboard/dist, the demo care home, Debian's Chromium.
 *
 * - every text file is sent brotli or gzip compressed as the browser asks, byte-identical once
 *   decompressed, hashed assets cached for a year, the page itself revalidated, security headers on;
 * - no source maps are built or served, and a missing asset is a 404, not the app;
 * - a signed-out browser's first visit logs no failed request (Lighthouse's best practices);
 * - the ward screen downloads only its own code, under a budget set from the measured build;
 * - the ward page does not shift while it loads and while live readings arrive (CLS < 0.1).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { SESSION_COOKIE } from '@wardline/protocol';
import { launchChromium, screenshot } from './browser.js';
import { DEMO_WARD_ID, startDemoWard, type DemoWard } from './demo-ward.js';
import { builtDashboard, signIn } from './support.js';

/**
 * The ward screen's JavaScript, all of it loaded on opening it. Measured: 82.5 KiB sent brotli,
 * 306 KiB decoded (React, socket.io and the ward). Before: one 366 KiB file with every screen,
 * sent uncompressed (93 KiB had it been brotli). The budget leaves room for ordinary growth, not
 * for another screen or the charts coming back into the first load.
 */
const WARD_JS_BUDGET = { transferKiB: 90, decodedKiB: 330 };
const CLS_LIMIT = 0.1;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A plain HTTP GET that leaves the body as sent (fetch would decompress it). */
function fetchRaw(url: string, acceptEncoding: string | null): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers = acceptEncoding === null ? {} : { 'accept-encoding': acceptEncoding };
    get(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    }).on('error', reject);
  });
}

const decode = (a: Answer) =>
  a.headers['content-encoding'] === 'br'
    ? brotliDecompressSync(a.body)
    : a.headers['content-encoding'] === 'gzip'
      ? gunzipSync(a.body)
      : a.body;

/** The files index.html loads, by address (scripts, module preloads, styles). */
function entryFiles(html: string): string[] {
  return [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
}

function allFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? allFiles(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/** Sum of the largest session window (gaps under 1 s, at most 5 s), as Chrome's CLS. */
function cumulativeLayoutShift(shifts: { startTime: number; value: number }[]): number {
  let worst = 0;
  let window = 0;
  let first = -Infinity;
  let last = -Infinity;
  for (const s of shifts) {
    if (s.startTime - last > 1000 || s.startTime - first > 5000) {
      window = 0;
      first = s.startTime;
    }
    window += s.value;
    last = s.startTime;
    worst = Math.max(worst, window);
  }
  return worst;
}

/** Installed before the page's own scripts: records every layout shift from the first paint on. */
const RECORD_SHIFTS = `(() => {
  window.__shifts = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.hadRecentInput) continue;
      window.__shifts.push({
        startTime: e.startTime,
        value: e.value,
        moved: e.sources.map((s) => (s.node && s.node.nodeType === 1 ? s.node.tagName.toLowerCase() + '.' + s.node.className : String(s.node && s.node.nodeName))),
      });
    }
  }).observe({ type: 'layout-shift', buffered: true });
})()`;

describe('dashboard delivery', () => {
  let demo: DemoWard;
  let browser: Browser;
  let nurseToken: string;
  const html = () => readFileSync(join(builtDashboard, 'index.html'), 'utf8');

  beforeAll(async () => {
    if (!existsSync(join(builtDashboard, 'index.html')))
      throw new Error('the dashboard is not built: run `npm run build:dashboard`');
    demo = await startDemoWard();
    nurseToken = await signIn(demo.baseUrl, 'nurse');
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  it('sends every text file brotli or gzip compressed as asked, with caching and security headers', async () => {
    const assets = entryFiles(html());
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
    expect(assets.some((a) => a.endsWith('.css'))).toBe(true);
    for (const path of assets) {
      const onDisk = readFileSync(join(builtDashboard, path));
      for (const [accept, encoding] of [
        ['br, gzip, deflate', 'br'],
        ['gzip, deflate', 'gzip'],
        [null, undefined],
      ] as const) {
        const answer = await fetchRaw(`${demo.baseUrl}${path}`, accept);
        expect(answer.status, path).toBe(200);
        expect(answer.headers['content-encoding'], `${path} for ${accept}`).toBe(encoding);
        expect(answer.headers.vary, path).toMatch(/accept-encoding/i);
        expect(answer.headers['cache-control'], path).toBe('public, max-age=31536000, immutable');
        expect(answer.headers['content-security-policy'], path).toContain("script-src 'self'");
        expect(answer.headers['x-content-type-options'], path).toBe('nosniff');
        expect(decode(answer).equals(onDisk), `${path} decompressed as built`).toBe(true);
        if (encoding) expect(answer.body.length, path).toBeLessThan(onDisk.length * 0.4);
      }
    }
    // The page itself: compressed too, but always revalidated, so a new release is seen at once.
    for (const path of ['/', `/wards/${DEMO_WARD_ID}`]) {
      const page = await fetchRaw(`${demo.baseUrl}${path}`, 'br, gzip');
      expect(page.status).toBe(200);
      expect(page.headers['content-encoding']).toBe('br');
      expect(page.headers['cache-control']).toBe('no-cache');
      expect(page.headers['content-security-policy']).toContain("default-src 'self'");
      expect(page.headers['x-frame-options']).toBe('DENY');
      expect(decode(page).toString()).toBe(html());
    }
  });

  it('builds and serves no source maps, and answers a missing asset with 404', async () => {
    const files = allFiles(builtDashboard);
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    for (const js of files.filter((f) => f.endsWith('.js')))
      expect(readFileSync(js, 'utf8'), js).not.toContain('sourceMappingURL');
    const script = entryFiles(html()).find((a) => a.endsWith('.js'))!;
    expect((await fetchRaw(`${demo.baseUrl}${script}.map`, null)).status).toBe(404);
    const missing = await fetchRaw(`${demo.baseUrl}/assets/index-0ld0ld.js`, 'br');
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toMatch(/json/);
  });

  it('shows a signed-out browser the sign-in page with no failed request or console error', async () => {
    const page = await browser.newPage();
    try {
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      page.on('response', (r) => {
        if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
      });
      await page.goto(`${demo.baseUrl}/`);
      await page.getByTestId('login-submit').waitFor();
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });

  for (const { device, viewport } of [
    { device: 'ward tablet', viewport: { width: 800, height: 1280 } },
    { device: 'phone', viewport: { width: 412, height: 823 } },
  ])
    it(`opens the ward on a ${device} within the JavaScript budget, without layout shift as live readings arrive`, async () => {
      const context = await browser.newContext({ viewport });
      try {
        await context.addCookies([{ name: SESSION_COOKIE, value: nurseToken, url: demo.baseUrl }]);
        const page = await context.newPage();
        const scripts: {
          url: string;
          encoding?: string;
          transfer: Promise<number>;
          decoded: Promise<number>;
        }[] = [];
        page.on('response', (response) => {
          if (response.request().resourceType() !== 'script') return;
          scripts.push({
            url: response.url(),
            encoding: response.headers()['content-encoding'],
            transfer: response
              .request()
              .sizes()
              .then((s) => s.responseBodySize),
            decoded: response.body().then((b) => b.length),
          });
        });
        await page.addInitScript(RECORD_SHIFTS);
        await page.goto(`${demo.baseUrl}/wards/${DEMO_WARD_ID}`);
        await page.locator('[data-testid="connection-state"][data-state="live"]').waitFor();
        await page.getByTestId('ward-grid').waitFor();

        // Live readings for a couple of seconds: values and times change on the cards.
        const card = page.locator('[data-testid="bed-card"][data-bed-id="larkspur-house-bed-1"]');
        const before = await card.getByTestId('bp-value').textContent();
        for (let i = 0; i < 16; i++) {
          await demo.sendLiveReading();
          await page.waitForTimeout(125);
        }
        await expect.poll(() => card.getByTestId('bp-value').textContent()).not.toBe(before);

        const transferKiB =
          (await Promise.all(scripts.map((s) => s.transfer))).reduce((a, b) => a + b, 0) / 1024;
        const decodedKiB =
          (await Promise.all(scripts.map((s) => s.decoded))).reduce((a, b) => a + b, 0) / 1024;
        const shifts =
          await page.evaluate<{ startTime: number; value: number; moved: string[] }[]>('window.__shifts');
        const cls = cumulativeLayoutShift(shifts);
        console.log(
          `${device}: ward JS ${scripts.length} files, ${transferKiB.toFixed(1)} KiB sent, ${decodedKiB.toFixed(1)} KiB decoded; CLS ${cls.toFixed(4)}`,
        );
        if (cls >= CLS_LIMIT) await screenshot(page, `delivery-shift-${device.replace(' ', '-')}`);
        expect(scripts.filter((s) => s.encoding !== 'br').map((s) => s.url)).toEqual([]);
        expect(transferKiB).toBeLessThanOrEqual(WARD_JS_BUDGET.transferKiB);
        expect(decodedKiB).toBeLessThanOrEqual(WARD_JS_BUDGET.decodedKiB);
        expect(cls, JSON.stringify(shifts)).toBeLessThan(CLS_LIMIT);
      } finally {
        await context.close();
      }
    });
});
