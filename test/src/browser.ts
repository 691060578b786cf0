import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AxeResults, RunOptions } from 'axe-core';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium; never a downloaded browser. */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

export const artifactsDir = resolve(import.meta.dirname, '../../test-artifacts');

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(artifactsDir, { recursive: true });
  await page.screenshot({ path: resolve(artifactsDir, `${name}.png`), fullPage: true });
}

/**
 * Scrolls the patient view to its trends panel, as a nurse does: the charts are fetched only when
 * the panel comes near the screen. The panel is replaced as its code arrives, so this scrolls
 * whichever one is there.
 */
export async function scrollToTrends(page: Page): Promise<void> {
  await page.getByTestId('patient-trends').waitFor();
  await page.evaluate(() => document.querySelector('[data-testid="patient-trends"]')?.scrollIntoView());
}

/** An axe-core finding, reduced to what a failure message needs. */
export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/**
 * Runs axe-core (WCAG 2.0/2.1 A and AA rules) on the page as it is now and returns the serious
 * and critical violations. axe is injected from the installed package, never fetched.
 */
export async function seriousAxeViolations(page: Page): Promise<AxeViolation[]> {
  const { default: axe } = await import('axe-core');
  // Evaluated through the DevTools protocol: the dashboard's CSP (rightly) refuses inline scripts.
  await page.evaluate(axe.source);
  return page.evaluate(async () => {
    const runner = (
      window as unknown as { axe: { run(context: Document, options: RunOptions): Promise<AxeResults> } }
    ).axe;
    const result = await runner.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
      resultTypes: ['violations'],
    });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({
        id: v.id,
        impact: v.impact ?? null,
        help: v.help,
        targets: v.nodes.map((n) => n.target.join(' ')),
      }));
  });
}
