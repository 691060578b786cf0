/**
 * The README's quick start, done as a reader does it, with the commands and claims read from
 * README.md itself so that the test fails when the README drifts from what Wardline does: the start
 * command on a fresh folder, the banner, the demo's content, the mosquitto_pub reading, stopping and
 * the reset. Also: every link and repository path named in README.md and docs/*.md exists.
 *
 * The launcher runs from a temporary folder with WARDLINE_HOME=<that folder>/.wardline, so the
 * banner and the README's commands see `.wardline/` exactly as in a checkout; node_modules and the
 * built dashboard are the repository's (npm install and the dashboard build are not repeated).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Alert, BedState, News2Summary, ObservationEvent, PatientSummary } from '@wardline/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import { apiGet, freePort, joinWardSocket, tempDir, waitUntil, type WardSocket } from './support.js';

const root = resolve(import.meta.dirname, '../..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const run = promisify(execFile);

interface Section {
  heading: string;
  text: string;
  blocks: { lang: string; code: string }[];
}

/** The README's sections (by heading) with their fenced code blocks. */
function sections(markdown: string): Section[] {
  const found: Section[] = [];
  let fence: { lang: string; lines: string[] } | null = null;
  for (const line of markdown.split('\n')) {
    const current = found.at(-1);
    if (fence) {
      if (line.startsWith('```')) {
        current?.blocks.push({ lang: fence.lang, code: fence.lines.join('\n') });
        fence = null;
      } else fence.lines.push(line);
      continue;
    }
    if (line.startsWith('```')) fence = { lang: line.slice(3).trim(), lines: [] };
    else if (/^#{1,6} /.test(line)) found.push({ heading: line.replace(/^#+ /, ''), text: '', blocks: [] });
    else if (current) current.text += `${line}\n`;
  }
  return found;
}

function section(heading: string): Section {
  const s = sections(readme).find((x) => x.heading === heading);
  if (!s) throw new Error(`README.md has no "${heading}" section`);
  return s;
}

function block(s: Section, lang: string, containing: string): string {
  const b = s.blocks.find((x) => x.lang === lang && x.code.includes(containing));
  if (!b) throw new Error(`README.md "${s.heading}" has no ${lang} block with "${containing}"`);
  return b.code;
}

/** A sentence of the README, as a pattern's capture groups. */
function claim(text: string, pattern: RegExp): string[] {
  const m = pattern.exec(text.replace(/\s+/g, ' '));
  if (!m) throw new Error(`README.md no longer says ${pattern}`);
  return m.slice(1);
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A shell snippet from the README, run by bash as a reader's terminal would, in `cwd`. */
async function shell(code: string, cwd: string): Promise<{ stdout: string; stderr: string }> {
  return run('bash', ['-e', '-o', 'pipefail', '-c', code], { cwd, timeout: 20_000 });
}

/** Launches what `npm start` runs after building the dashboard, from `cwd`, on these ports. */
function launch(cwd: string, ports: { http: number; mqtt: number; health: number }) {
  const script = (
    JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  ).scripts.start!;
  const steps = script.split('&&').map((s) => s.trim());
  // The build is the suite's own (npm test builds the dashboard before vitest runs).
  expect(steps.slice(0, -1)).toEqual(['npm run build:dashboard --silent']);
  expect(
    existsSync(join(root, 'dashboard/dist/index.html')),
    'dashboard/dist: run npm run build:dashboard',
  ).toBe(true);
  const [command, ...args] = steps.at(-1)!.split(/\s+/);
  expect(command).toBe('node');
  // From another folder, resolve what node would have resolved from the repository.
  const resolved = args.map((arg, i) =>
    args[i - 1] === '--import'
      ? import.meta.resolve(arg)
      : existsSync(join(root, arg))
        ? join(root, arg)
        : arg,
  );
  const child = spawn(process.execPath, resolved, {
    cwd,
    detached: true,
    env: {
      ...process.env,
      PORT: String(ports.http),
      MQTT_PORT: String(ports.mqtt),
      BROKER_HEALTH_PORT: String(ports.health),
      WARDLINE_HOME: join(cwd, '.wardline'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const launched = { child, output: '' };
  child.stdout!.on('data', (chunk: Buffer) => (launched.output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (launched.output += chunk.toString()));
  return launched;
}

const launchers: ChildProcess[] = [];

afterAll(async () => {
  for (const child of launchers) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((done) => setTimeout(done, 15_000))]);
    }
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // the process group is gone
    }
  }
});

describe('README quick start', () => {
  it("names the Node.js versions package.json's engines field allows", () => {
    const [major, minor, next] = claim(
      section('Quick start').text,
      /On Node\.js (\d+)\.(\d+) or later, or (\d+) and later/,
    );
    const { engines } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      engines: { node: string };
    };
    expect(engines.node).toBe(`^${major}.${minor}.0 || >=${next}`);
  });

  it('starts the demo the README describes, takes its mosquitto_pub reading, and resets', async () => {
    const started = Date.now();
    const quickStart = section('Quick start');
    const commands = block(quickStart, 'sh', 'npm start')
      .split('\n')
      .map((line) => line.replace(/#.*/, '').trim());
    expect(commands).toEqual(['npm install && npm start', 'npm test']);

    const folder = tempDir('quick-start');
    const ports = { http: await freePort(), mqtt: await freePort(), health: await freePort() };
    const first = launch(folder, ports);
    launchers.push(first.child);
    await waitUntil(() => first.output.includes('Press Ctrl+C to stop'), 'the banner', 40_000);
    const startedIn = Date.now() - started;

    // The banner, line by line as the README prints it: "…" stands for each generated password.
    const portOf: Record<string, number> = { '8080': ports.http, '1883': ports.mqtt, '8081': ports.health };
    const bannerLines = block(quickStart, 'text', 'Wardline is running')
      .split('\n')
      .filter((l) => l.trim());
    const pattern = bannerLines
      .map((line) =>
        escape(line.trim())
          .replace(/…/g, '(\\S+)')
          .replace(/\b(8080|1883|8081)\b/g, (p) => String(portOf[p]))
          .replace(/ +/g, ' +'),
      )
      .join('\\s*\\n\\s*');
    const banner = new RegExp(pattern).exec(first.output);
    expect(banner, `the banner as README.md shows it:\n${first.output}`).not.toBeNull();
    const secrets = JSON.parse(readFileSync(join(folder, '.wardline/demo-secrets.json'), 'utf8')) as {
      demoPasswords: Record<string, string>;
    };
    const signInAs = bannerLines.flatMap((l) => /(\w+) +password …/.exec(l)?.slice(1) ?? []);
    expect(signInAs).toEqual(['nurse', 'admin', 'family']);
    expect(banner!.slice(1)).toEqual(signInAs.map((role) => secrets.demoPasswords[role]));

    const baseUrl = `http://127.0.0.1:${ports.http}`;
    const tokens: Record<string, string> = {};
    for (const [i, username] of signInAs.entries()) {
      const res = await fetch(`${baseUrl}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password: banner![i + 1] }),
      });
      expect(res.status, `sign-in as ${username}`).toBe(200);
      tokens[username] = ((await res.json()) as { token: string }).token;
    }
    const nurse = tokens.nurse!;

    // What the demo contains, as the README counts and names it.
    const [wards, residents, devices, gateways] = claim(
      quickStart.text,
      /\*\*The demo\*\* has (\d+) wards, (\d+) residents, (\d+) devices and (\d+) gateways/,
    ).map(Number);
    const count = async (path: string) => (await apiGet<unknown[]>(baseUrl, path, tokens.admin!)).length;
    expect({
      wards: await count('/api/wards'),
      residents: await count('/api/patients'),
      devices: await count('/api/devices'),
      gateways: await count('/api/gateways'),
    }).toEqual({ wards, residents, devices, gateways });

    const wardList = await apiGet<{ id: string; name: string }[]>(baseUrl, '/api/wards', nurse);
    const bedsOf = async (wardName: string) => {
      const ward = wardList.find((w) => w.name === wardName);
      if (!ward) throw new Error(`no ward named ${wardName}`);
      return { ward, beds: await apiGet<BedState[]>(baseUrl, `/api/wards/${ward.id}/beds`, nurse) };
    };
    const resident = async (wardName: string, label: string) => {
      const { ward, beds } = await bedsOf(wardName);
      const bed = beds.find((b) => b.label === label);
      if (!bed?.patient) throw new Error(`no resident in ${label} of ${wardName}`);
      return { ward, bed, patient: bed.patient };
    };
    const [fallRoom, fallRoomName, fallHome, fallHomeName] = claim(
      quickStart.text,
      /Room (\d+) of Larkspur House \(([^)]+)\) and Home (\d+) of Virtual Ward North \(([^)]+)\) fall/,
    );
    const [lowRoom, lowRoomName, lowHome, lowHomeName] = claim(
      quickStart.text,
      /Room (\d+) \(([^)]+)\) and Home (\d+) \(([^)]+)\) drift towards shock/,
    );
    const named = [
      ['Larkspur House', `Room ${fallRoom}`, fallRoomName],
      ['Virtual Ward North', `Home ${fallHome}`, fallHomeName],
      ['Larkspur House', `Room ${lowRoom}`, lowRoomName],
      ['Virtual Ward North', `Home ${lowHome}`, lowHomeName],
    ] as const;
    for (const [wardName, label, name] of named)
      expect((await resident(wardName, label)).patient.displayName, `${label} of ${wardName}`).toBe(name);
    const [familyOf, familyRoom] = claim(quickStart.text, /as `family` for a [^(]+\(([^,]+), (Room \d+)\)/);
    const familySees = await apiGet<PatientSummary[]>(baseUrl, '/api/patients', tokens.family!);
    expect(familySees.map((p) => p.displayName)).toEqual([familyOf]);
    expect((await resident('Larkspur House', familyRoom!)).patient.displayName).toBe(familyOf);

    // The reader's own reading: the README's command, with only the port as the README allows.
    const sendReading = section('Send a reading of your own');
    const command = block(sendReading, 'sh', 'mosquitto_pub');
    expect(command).toContain(' -p 1883 ');
    const [home, homeName, wardName, celsius] = claim(
      sendReading.text,
      /(Home \d+) \(([^)]+)\) on the (.+?) page now shows ([\d.]+) °C/,
    );
    const target = await resident(wardName!, home!);
    expect(target.patient.displayName).toBe(homeName);
    expect(target.bed.latest.body_temperature).toBeUndefined();
    const socket: WardSocket = await joinWardSocket(baseUrl, nurse, target.ward.id);
    const live = new Promise<ObservationEvent>((done) =>
      socket.on('observations', (batch) => {
        // Demo thermometers in other homes of the ward send temperatures of their own.
        for (const event of batch.observations)
          if (event.observation.kind === 'body_temperature' && event.patientId === target.patient.id)
            done(event);
      }),
    );
    const sentAt = Date.now();
    await shell(command.replace(' -p 1883 ', ` -p ${ports.mqtt} `), folder);
    try {
      const event = await Promise.race([
        live,
        new Promise<never>((_, fail) => setTimeout(() => fail(new Error('no observation event')), 10_000)),
      ]);
      expect(event.observation.values).toEqual({ temperature: { value: Number(celsius), unit: '°C' } });
    } finally {
      socket.close();
    }
    const shown = (await resident(wardName!, home!)).bed.latest.body_temperature?.observation;
    expect(shown?.values).toEqual({ temperature: { value: Number(celsius), unit: '°C' } });
    // measuredAt is the reader's "now" (whole seconds).
    expect(Math.abs(Date.parse(shown!.measuredAt) - sentAt)).toBeLessThan(5_000);
    const news2 = await apiGet<News2Summary>(baseUrl, `/api/patients/${target.patient.id}/news2`, nurse);
    expect(news2.parameters.find((p) => p.parameter === 'temperature')).toMatchObject({
      value: Number(celsius),
      score: 1,
    });

    // The scripted falls, each with its help press, as one critical incident per resident.
    const expectedAlerts = [
      [fallRoom, 'Larkspur House', `Room ${fallRoom}`],
      [fallHome, 'Virtual Ward North', `Home ${fallHome}`],
    ] as const;
    const fallen = await Promise.all(
      expectedAlerts.map(async ([, w, label]) => (await resident(w, label)).patient.id),
    );
    let open: Alert[] = [];
    const alerts = await waitUntil(
      async () => {
        open = await apiGet<Alert[]>(baseUrl, '/api/alerts?state=unresolved', nurse);
        const want = fallen.map((id) => open.find((a) => a.patientId === id && a.condition === 'fall'));
        return want.every((a) => a && /help/i.test(a.title)) ? (want as Alert[]) : null;
      },
      'the scripted falls and their help presses',
      25_000,
    );
    expect(alerts.map((a) => a.priority)).toEqual(['critical', 'critical']);
    expect(open.filter((a) => fallen.includes(a.patientId ?? '') && a.condition === 'help_request')).toEqual(
      [],
    );

    // Stop, as Ctrl+C does (the terminal signals the launcher; its processes have groups of their own).
    const [stoppedLine] = claim(section('Stop and reset').text, /ends with `([^`]+)`/);
    const exited = new Promise<number | null>((done) => first.child.once('exit', (code) => done(code)));
    first.child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(first.output.trimEnd().endsWith(stoppedLine!)).toBe(true);
    const order = [...first.output.matchAll(/^\[(\w+)\] +stopped/gm)].map((m) => m[1]);
    expect(order).toEqual(['gateways', 'server', 'broker']);

    // The reset, then a fresh demo: new passwords, and the reading is gone.
    await shell(block(section('Stop and reset'), 'sh', '.wardline'), folder);
    expect(existsSync(join(folder, '.wardline'))).toBe(false);
    const second = launch(folder, ports);
    launchers.push(second.child);
    await waitUntil(
      () => second.output.includes('Press Ctrl+C to stop'),
      'the banner after the reset',
      40_000,
    );
    const fresh = JSON.parse(readFileSync(join(folder, '.wardline/demo-secrets.json'), 'utf8')) as {
      demoPasswords: Record<string, string>;
    };
    expect(fresh.demoPasswords.nurse).not.toBe(secrets.demoPasswords.nurse);
    const oldSession = await fetch(`${baseUrl}/api/auth/me`, {
      headers: { authorization: `Bearer ${nurse}` },
    });
    expect(oldSession.status).toBe(401);
    const login = await fetch(`${baseUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'nurse', password: fresh.demoPasswords.nurse }),
    });
    const token = ((await login.json()) as { token: string }).token;
    const again = await apiGet<BedState[]>(baseUrl, `/api/wards/${target.ward.id}/beds`, token);
    expect(again.find((b) => b.label === home)?.latest.body_temperature).toBeUndefined();
    second.child.kill('SIGINT');
    await new Promise((done) => second.child.once('exit', done));

    console.log(
      `quick start: banner ${(startedIn / 1000).toFixed(1)} s after launch, whole walk-through ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  }, 90_000);
});

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

const anchorsOf = (file: string) =>
  new Set(
    sections(readFileSync(file, 'utf8'))
      .map((s) => s.heading.replace(/`/g, ''))
      .map(slug),
  );

/** Outside fenced code: links `[text](target)`, and code spans naming a repository file or a metric. */
function references(markdown: string): { links: string[]; paths: string[]; metrics: string[] } {
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, '');
  const links = [...prose.matchAll(/\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
  const topLevel = new Set(readdirSync(root).filter((f) => statSync(join(root, f)).isDirectory()));
  const paths = [...prose.matchAll(/`([\w.-]+(?:\/[\w.-]+)+\/?)`/g)]
    .map((m) => m[1]!)
    // Build output and test artifacts are made by commands, not kept in the repository.
    .filter(
      (p) => topLevel.has(p.split('/')[0]!) && !/(^|\/)(dist|test-artifacts|node_modules)(\/|$)/.test(p),
    );
  const metrics = [...prose.matchAll(/`(wardline_[a-z0-9_]+)(?:\{[^}`]*\})?`/g)].map((m) => m[1]!);
  return { links, paths, metrics };
}

/** The non-test TypeScript of the packages that define metric (and cookie) names. */
function metricSources(): string {
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory()
        ? files(join(dir, e.name))
        : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')
          ? [join(dir, e.name)]
          : [],
    );
  return ['protocol/src', 'server/src', 'broker/src']
    .flatMap((d) => files(join(root, d)))
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
}

describe('documentation links', () => {
  const pages = [
    'README.md',
    ...readdirSync(join(root, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
    'broker/README.md',
    'gateway/README.md',
    'dashboard/README.md',
  ];

  it.each(pages)('%s: every relative link, repository path and metric it names exists', (page) => {
    const file = join(root, page);
    const { links, paths, metrics } = references(readFileSync(file, 'utf8'));
    const broken: string[] = [];
    for (const link of links) {
      if (/^[a-z]+:/i.test(link)) continue;
      const [path, anchor] = link.split('#') as [string, string | undefined];
      const target = path ? resolve(dirname(file), decodeURIComponent(path)) : file;
      if (!existsSync(target)) broken.push(`${link} (no ${relative(root, target)})`);
      else if (anchor && target.endsWith('.md') && !anchorsOf(target).has(anchor))
        broken.push(`${link} (no heading #${anchor})`);
    }
    // Package READMEs name files relative to their package; the top-level pages from the root.
    if (!page.includes('/') || page.startsWith('docs/'))
      for (const path of paths) if (!existsSync(join(root, path))) broken.push(`\`${path}\``);
    if (metrics.length > 0) {
      const sources = metricSources();
      for (const name of metrics) if (!sources.includes(`'${name}'`)) broken.push(`metric ${name}`);
    }
    expect(broken).toEqual([]);
  });
});
