/**
 * Lighthouse on the dashboard's four screens, as a new user would run it: the default mobile
 * profile (simulated slow 4G, 4x CPU slowdown), Debian's Chromium, the built dashboard served by
 * the real server with the demo care home receiving live readings. Sign-in is measured signed
 * out; the ward and patient screens as the nurse, the family screen as the family member (the
 * session cookie is put in the browser before each run; Lighthouse keeps cookies).
 *
 * Prints the four category scores and the metrics behind performance per screen, the median of
 * LIGHTHOUSE_RUNS runs (3 by default) by performance score: the score swings under CPU load, so
 * run it on a quiet machine. Writes test-artifacts/bench-lighthouse.json and each screen's report.
 * Targets: performance 90+, accessibility and best practices 100.
 */
import { launch, type LaunchedChrome } from 'chrome-launcher';
import lighthouse, { type Flags, type RunnerResult } from 'lighthouse';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { SESSION_COOKIE } from '@wardline/protocol';
import { DEMO_PATIENT_ID, DEMO_WARD_ID, startDemoWard } from '../src/demo-ward.js';
import { signIn } from '../src/support.js';

const RUNS = Number(process.env.LIGHTHOUSE_RUNS ?? 3);
const LIVE_READING_EVERY_MS = 1000;
const MAX_FAILURES = 3;
const root = resolve(import.meta.dirname, '../..');
const CATEGORIES = ['performance', 'accessibility', 'best-practices', 'seo'] as const;
const TARGET: Record<(typeof CATEGORIES)[number], number | null> = {
  performance: 90,
  accessibility: 100,
  'best-practices': 100,
  seo: null,
};

interface Screen {
  name: string;
  path: string;
  user: 'nurse' | 'family' | null;
  /** What the screen shows once loaded: checked before measuring, so a lost session is not measured as sign-in. */
  shows: string;
}
const screens: Screen[] = [
  { name: 'sign-in', path: '/', user: null, shows: 'login-submit' },
  { name: 'ward', path: `/wards/${DEMO_WARD_ID}`, user: 'nurse', shows: 'ward-grid' },
  { name: 'patient', path: `/patients/${DEMO_PATIENT_ID}`, user: 'nurse', shows: 'patient-vitals' },
  { name: 'family', path: '/family', user: 'family', shows: 'family-readings' },
];

interface Measured {
  scores: Record<string, number>;
  fcpMs: number;
  lcpMs: number;
  tbtMs: number;
  cls: number;
  speedIndexMs: number;
  scriptKiB: number;
  totalKiB: number;
  unusedJsKiB: number;
}

function summarise(lhr: RunnerResult['lhr']): Measured {
  const numeric = (id: string) => lhr.audits[id]?.numericValue ?? NaN;
  const items = (id: string) =>
    ((lhr.audits[id]?.details as { items?: Record<string, unknown>[] } | undefined)?.items ?? []) as {
      resourceType?: string;
      transferSize?: number;
      wastedBytes?: number;
    }[];
  const scripts = items('network-requests').filter((r) => r.resourceType === 'Script');
  return {
    scores: Object.fromEntries(CATEGORIES.map((c) => [c, Math.round((lhr.categories[c]?.score ?? 0) * 100)])),
    fcpMs: numeric('first-contentful-paint'),
    lcpMs: numeric('largest-contentful-paint'),
    tbtMs: numeric('total-blocking-time'),
    cls: numeric('cumulative-layout-shift'),
    speedIndexMs: numeric('speed-index'),
    scriptKiB: scripts.reduce((n, r) => n + (r.transferSize ?? 0), 0) / 1024,
    totalKiB: numeric('total-byte-weight') / 1024,
    unusedJsKiB: items('unused-javascript').reduce((n, r) => n + (r.wastedBytes ?? 0), 0) / 1024,
  };
}

const artifacts = join(root, 'test-artifacts');
mkdirSync(artifacts, { recursive: true });

// LIGHTHOUSE_DASHBOARD_DIR measures another build (an older release's dist, for a before/after)
// instead of building this one.
const dashboardDir = process.env.LIGHTHOUSE_DASHBOARD_DIR;
if (!dashboardDir) {
  const build = spawnSync('npm', ['run', 'build:dashboard', '--silent'], { cwd: root, stdio: 'ignore' });
  if (build.status !== 0) throw new Error('dashboard build failed');
}

const demo = await startDemoWard(dashboardDir ? { dashboardDir } : {});
const live = setInterval(() => void demo.sendLiveReading().catch(() => undefined), LIVE_READING_EVERY_MS);
let chrome: LaunchedChrome | undefined;
const results: Record<string, Measured & { runs: number[] }> = {};
try {
  chrome = await launch({
    chromePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    chromeFlags: ['--headless=new', '--no-sandbox', '--disable-gpu'],
  });
  const cdp = await chromium.connectOverCDP(`http://127.0.0.1:${chrome.port}`);
  const cookies = cdp.contexts()[0]!;
  const tokens = { nurse: await signIn(demo.baseUrl, 'nurse'), family: await signIn(demo.baseUrl, 'family') };

  for (const screen of screens) {
    await cookies.clearCookies();
    if (screen.user)
      await cookies.addCookies([
        {
          name: SESSION_COOKIE,
          value: tokens[screen.user],
          url: demo.baseUrl,
          httpOnly: true,
          sameSite: 'Strict',
        },
      ]);
    const check = await cookies.newPage();
    await check.goto(`${demo.baseUrl}${screen.path}`);
    await check.getByTestId(screen.shows).waitFor({ timeout: 15_000 });
    await check.close();

    const runs: (Measured & { report: string })[] = [];
    let failures = 0;
    for (let i = 0; i < RUNS; i++) {
      const flags: Flags = {
        port: chrome.port,
        output: 'json',
        logLevel: 'error',
        onlyCategories: [...CATEGORIES],
      };
      const result = await lighthouse(`${demo.baseUrl}${screen.path}`, flags);
      if (!result) throw new Error(`Lighthouse gave no result for ${screen.name}`);
      const finalUrl = result.lhr.finalDisplayedUrl;
      // Lighthouse now and then fails to record a trace (NO_NAVSTART and the like): run again.
      if (result.lhr.runtimeError) {
        if (++failures > MAX_FAILURES) throw new Error(`${screen.name}: ${result.lhr.runtimeError.message}`);
        console.log(`  ${screen.name}: ${result.lhr.runtimeError.code}, running again`);
        i--;
        continue;
      }
      runs.push({ ...summarise(result.lhr), report: result.report as string });
      console.log(
        `  ${screen.name} run ${i + 1}: performance ${runs.at(-1)!.scores.performance} (${new URL(finalUrl).pathname})`,
      );
    }
    const byPerformance = [...runs].sort((a, b) => a.scores.performance! - b.scores.performance!);
    const median = byPerformance[Math.floor(byPerformance.length / 2)]!;
    const { report, ...figures } = median;
    // The whole report of the median run, for the audits behind a score.
    writeFileSync(join(artifacts, `lighthouse-${screen.name}.json`), report);
    results[screen.name] = { ...figures, runs: runs.map((r) => r.scores.performance!) };
  }
  await cdp.close();
} finally {
  clearInterval(live);
  await chrome?.kill();
  await demo.close();
}

const pad = (s: string | number, n: number) => String(s).padStart(n);
console.log(
  `\nLighthouse, default mobile profile, median of ${RUNS} by performance (all runs' performance in brackets)`,
);
console.log(
  '| screen  | perf | a11y | best pr. | SEO | FCP s | LCP s | TBT ms | CLS   | SI s | JS KiB | total KiB | unused JS KiB | perf runs    |',
);
console.log(
  '|---------|------|------|----------|-----|-------|-------|--------|-------|------|--------|-----------|---------------|--------------|',
);
for (const [name, r] of Object.entries(results)) {
  const s = r.scores;
  console.log(
    `| ${name.padEnd(7)} | ${pad(s.performance!, 4)} | ${pad(s.accessibility!, 4)} | ${pad(s['best-practices']!, 8)} | ${pad(s.seo!, 3)} | ${pad((r.fcpMs / 1000).toFixed(1), 5)} | ${pad((r.lcpMs / 1000).toFixed(1), 5)} | ${pad(Math.round(r.tbtMs), 6)} | ${pad(r.cls.toFixed(3), 5)} | ${pad((r.speedIndexMs / 1000).toFixed(1), 4)} | ${pad(r.scriptKiB.toFixed(0), 6)} | ${pad(r.totalKiB.toFixed(0), 9)} | ${pad(r.unusedJsKiB.toFixed(0), 13)} | ${r.runs.join(', ').padEnd(12)} |`,
  );
}
const missed = Object.entries(results).flatMap(([name, r]) =>
  CATEGORIES.filter((c) => TARGET[c] !== null && r.scores[c]! < TARGET[c]!).map(
    (c) => `${name} ${c} ${r.scores[c]} < ${TARGET[c]}`,
  ),
);
console.log(missed.length === 0 ? 'targets met' : `targets MISSED: ${missed.join('; ')}`);
writeFileSync(
  join(artifacts, 'bench-lighthouse.json'),
  JSON.stringify({ at: new Date().toISOString(), runs: RUNS, results }, null, 2),
);
