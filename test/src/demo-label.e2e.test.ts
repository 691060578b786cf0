/**
 * The demo says it is one: on the built dashboard served by a demo server, every screen's header
 * carries "Demo: simulated data", before and after signing in, on a tablet and on a phone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { SESSION_COOKIE } from '@wardline/protocol';
import { launchChromium, screenshot } from './browser.js';
import { DEMO_WARD_ID, startDemoWard, type DemoWard } from './demo-ward.js';
import { signIn } from './support.js';

describe("the demo's label", () => {
  let demo: DemoWard;
  let browser: Browser;
  let nurseToken: string;

  beforeAll(async () => {
    demo = await startDemoWard();
    browser = await launchChromium();
    nurseToken = await signIn(demo.baseUrl, 'nurse');
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  it('is on the sign-in page', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${demo.baseUrl}/`);
      await page.getByTestId('login-submit').waitFor();
      await expect.poll(() => page.getByTestId('demo-label').textContent()).toBe('Demo: simulated data');
    } finally {
      await page.close();
    }
  });

  for (const { device, viewport } of [
    { device: 'ward tablet', viewport: { width: 800, height: 1280 } },
    { device: 'phone', viewport: { width: 412, height: 823 } },
  ])
    it(`is on the ward screen, in view, on a ${device}`, async () => {
      const context = await browser.newContext({ viewport });
      try {
        await context.addCookies([{ name: SESSION_COOKIE, value: nurseToken, url: demo.baseUrl }]);
        const page = await context.newPage();
        await page.goto(`${demo.baseUrl}/wards/${DEMO_WARD_ID}`);
        await page.getByTestId('sign-out').waitFor();
        const label = page.getByTestId('demo-label');
        await expect.poll(() => label.isVisible()).toBe(true);
        expect(await label.getAttribute('title')).toMatch(/every resident, device, reading and event/i);
        const box = (await label.boundingBox())!;
        expect(box.x).toBeGreaterThanOrEqual(0);
        expect(box.x + box.width).toBeLessThanOrEqual(viewport.width);
        expect(box.y + box.height).toBeLessThanOrEqual(viewport.height);
        await screenshot(page, `demo-label-${device.replace(' ', '-')}`);
      } finally {
        await context.close();
      }
    });
});
