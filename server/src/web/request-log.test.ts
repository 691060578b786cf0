import type { FastifyInstance } from 'fastify';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import { TEST_PASSWORD, testContext } from '../testing.js';

interface Line {
  level: number;
  reqId?: string;
  msg: string;
  code?: string;
  route?: string;
  status?: number;
  err?: { stack?: string };
  [key: string]: unknown;
}

describe('request log', () => {
  let app: FastifyInstance;
  let lines: Line[] = [];
  let token: string;
  const dashboardDir = mkdtempSync(join(tmpdir(), 'wardline-dashboard-'));

  beforeAll(async () => {
    writeFileSync(join(dashboardDir, 'index.html'), '<!doctype html><title>Wardline</title>');
    mkdirSync(join(dashboardDir, 'assets'));
    writeFileSync(join(dashboardDir, 'assets', 'app.js'), 'console.log(1)');
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const text of chunk.toString().split('\n')) if (text) lines.push(JSON.parse(text) as Line);
        done();
      },
    });
    app = await buildApp({ context: await testContext(), dashboardDir, logger: { level: 'debug', stream } });
    app.get('/api/test/fault', async () => {
      throw new Error('SQLITE_CORRUPT: database disk image is malformed at /var/lib/wardline/secret.db');
    });
    await app.ready();
    const login = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'admin', password: TEST_PASSWORD },
    });
    token = (login.json() as { token: string }).token;
  });
  afterAll(async () => {
    await app.close();
    rmSync(dashboardDir, { recursive: true, force: true });
  });
  beforeEach(() => {
    lines = [];
  });

  const get = (url: string, signedIn = true) =>
    app.inject({ method: 'GET', url, headers: signedIn ? { authorization: `Bearer ${token}` } : {} });
  /** Lines about requests (they carry a reqId), at info or above. */
  const requestLines = () => lines.filter((l) => l.reqId !== undefined && l.level >= 30);

  it('writes one line per request, naming the route pattern rather than the patient in the path', async () => {
    await get('/api/wards');
    await get('/api/patients/ward-a-p001');
    expect(requestLines()).toEqual([
      expect.objectContaining({ level: 30, method: 'GET', route: '/api/wards', status: 200 }),
      expect.objectContaining({ level: 30, method: 'GET', route: '/api/patients/:patientId', status: 200 }),
    ]);
    expect(requestLines()[0]!.msg).toMatch(/^GET \/api\/wards 200 [\d.]+ ms$/);
    expect(JSON.stringify(lines)).not.toContain('ward-a-p001');
  });

  it('keeps health checks, metrics scrapes, static files and the app page below info', async () => {
    // Without a broker the health check answers 503 (degraded): still no line at info.
    expect((await get('/api/health', false)).statusCode).toBe(503);
    expect((await get('/metrics', false)).statusCode).toBe(200);
    for (const url of ['/', '/assets/app.js', '/wards/ward-a']) {
      expect((await get(url, false)).statusCode, url).toBe(200);
    }
    expect(requestLines()).toEqual([]);
    expect(lines.filter((l) => l.level === 20).map((l) => l.route)).toEqual(
      expect.arrayContaining(['/', '/assets/app.js', '/wards/ward-a']),
    );
  });

  it('logs a refusal (401, 403, 404, 400) as one info line with its code and no stack', async () => {
    const family = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'family', password: TEST_PASSWORD },
    });
    const familyToken = (family.json() as { token: string }).token;
    lines = [];
    await get('/api/auth/me', false);
    await app.inject({
      method: 'GET',
      url: '/api/dead-letters',
      headers: { authorization: `Bearer ${familyToken}` },
    });
    await get('/api/alerts/99999');
    await get('/api/alerts?state=bogus');
    await get('/api/nowhere');
    expect(requestLines().map((l) => [l.level, l.status, l.code])).toEqual([
      [30, 401, 'WL_UNAUTHENTICATED'],
      [30, 403, 'WL_FORBIDDEN'],
      [30, 404, 'WL_NOT_FOUND'],
      [30, 400, 'WL_BAD_REQUEST'],
      [30, 404, 'WL_NOT_FOUND'],
    ]);
    expect(lines).toHaveLength(5);
    expect(JSON.stringify(lines)).not.toMatch(/stack|"err"/);
  });

  it('logs a server fault with its stack, and tells the client only that it failed', async () => {
    const res = await get('/api/test/fault');
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({
      statusCode: 500,
      code: 'WL_INTERNAL_ERROR',
      error: 'Internal Server Error',
      message: 'The server could not answer this request; the details are in the server log',
    });
    const [line, ...more] = requestLines();
    expect(more).toEqual([]);
    expect(line).toMatchObject({ level: 50, status: 500, route: '/api/test/fault' });
    expect(line!.err!.stack).toContain('SQLITE_CORRUPT');
    expect(line!.err!.stack).toMatch(/request-log\.test\.ts/);
  });
});

describe('errors in words', () => {
  let app: FastifyInstance;
  let token: string;
  beforeAll(async () => {
    app = await buildApp({ context: await testContext() });
    const login = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'admin', password: TEST_PASSWORD },
    });
    token = (login.json() as { token: string }).token;
  });
  afterAll(() => app.close());

  it('answers a bad query parameter on any route with a code and a sentence naming it', async () => {
    const cases: [string, string][] = [
      ['/api/alerts?state=everything', 'state must be one of open, acknowledged, resolved, unresolved, all'],
      ['/api/alerts?limit=0', 'limit must be at least 1'],
      [
        '/api/patients/ward-a-p001/history?kind=blood_pressure&range=1y',
        'range must be one of 1h, 24h, 7d, 30d',
      ],
      ['/api/patients/ward-a-p001/history?range=24h', 'kind is required'],
      [
        '/api/patients/ward-a-p001/observations?from=yesterday',
        'from must be a date and time such as 2026-01-31T09:30:00Z',
      ],
      ['/api/dead-letters?before=last', 'before must be a whole number'],
      ['/fhir/Observation?patient=ward-a-p001&_count=lots', '_count must be a whole number'],
      ['/api/admin/sign-in-events?limit=5000', 'limit must be at most 1000'],
      ['/api/alerts/first', 'alertId must be a whole number'],
    ];
    for (const [url, message] of cases) {
      const res = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
      expect({ url, status: res.statusCode, body: res.json() as unknown }).toEqual({
        url,
        status: 400,
        body: { statusCode: 400, code: 'WL_BAD_REQUEST', error: 'Bad Request', message },
      });
    }
  });

  it('says which field of a body is wrong, in words', async () => {
    const res = await app.inject({
      method: 'PUT',
      url: '/api/patients/ward-a-p001/thresholds',
      headers: { authorization: `Bearer ${token}` },
      payload: { changes: { systolicHigh: 170, systolicHihg: 150 }, reason: 'typo in a key' },
    });
    expect(res.json()).toEqual({
      statusCode: 400,
      code: 'WL_BAD_REQUEST',
      error: 'Bad Request',
      message: 'changes has a field the server does not know: systolicHihg',
    });
  });
});
