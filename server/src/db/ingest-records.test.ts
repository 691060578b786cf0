/**
 * The ingest path's records on both engines: devices and their routes, observations, dead
 * letters, failure counts, the time-series spool and retention, and the ingest itself storing
 * groups through them. PostgreSQL is a real server (see testing-sql.ts).
 */
import { Channel, gatewayTopic, type Observation } from '@wardline/protocol';
import { pino } from 'pino';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { storageFailureCode } from '../ingest/failure-kind.js';
import { createIngest, type IngestDependencies, type IngestOutcome } from '../ingest/ingest.js';
import { createIngestMetrics } from '../ingest/metrics.js';
import { testPostgres, describeEngines, type TestEngine } from '../testing-sql.js';
import { applyRetention } from '../timeseries/retention.js';
import { createSpool } from '../timeseries/spool.js';
import { createDeadLetterRepository } from './dead-letter-repository.js';
import { createDeviceRepository } from './device-repository.js';
import type { SqlDatabase } from './engines/engine.js';
import type { SqliteDatabase } from './engines/sqlite/index.js';
import { openSqlDatabase } from './engines/open.js';
import { postgresDatabase } from './engines/postgres/index.js';
import { createIngestFailureRepository } from './ingest-failure-repository.js';
import { createObservationRepository } from './observation-repository.js';

const CUFF = 'aa:00:00:00:00:01';
const OTHER_CUFF = 'aa:00:00:00:00:02';
const TOPIC = gatewayTopic({ site: 'site-t', gateway: 'gw-1' }, Channel.observations);
const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

/** One organisation, site, ward with two beds and two admitted residents; two registered cuffs. */
async function seed(sql: SqlDatabase): Promise<void> {
  const at = minutesAgo(24 * 60);
  await sql.run(`INSERT INTO organisations (id, name, created_at) VALUES ('org-t', 'Org T', ?)`, [at]);
  await sql.run(
    `INSERT INTO sites (id, organisation_id, code, name, kind, created_at)
     VALUES ('s-t', 'org-t', 'site-t', 'Site T', 'care_home', ?)`,
    [at],
  );
  await sql.run(
    `INSERT INTO wards (id, name, kind, site_code, site_id, organisation_id)
     VALUES ('ward-t', 'Ward T', 'care_home', 'site-t', 's-t', 'org-t')`,
  );
  for (const n of [1, 2]) {
    await sql.run(`INSERT INTO beds (id, ward_id, label, sort_order) VALUES (?, 'ward-t', ?, ?)`, [
      `bed-${n}`,
      `Room ${n}`,
      n,
    ]);
    await sql.run(
      `INSERT INTO patients (id, display_name, bed_id, admitted_at, organisation_id) VALUES (?, ?, ?, ?, 'org-t')`,
      [`p-${n}`, `Resident ${n}`, `bed-${n}`, at],
    );
  }
}

function repositories(sql: SqlDatabase) {
  return {
    devices: createDeviceRepository(sql),
    observations: createObservationRepository(sql),
    deadLetters: createDeadLetterRepository(sql),
    failures: createIngestFailureRepository(sql),
  };
}

function bp(overrides: Partial<Observation> & { systolic?: number } = {}): Observation {
  const { systolic = 128, ...rest } = overrides;
  return {
    id: crypto.randomUUID(),
    deviceId: CUFF,
    kind: 'blood_pressure',
    measuredAt: minutesAgo(1),
    seq: 1,
    values: {
      systolic: { value: systolic, unit: 'mmHg' },
      diastolic: { value: 82, unit: 'mmHg' },
      pulseRate: { value: 71, unit: 'bpm' },
    },
    ...rest,
  } as Observation;
}

const message = (...observations: Observation[]) => ({
  topic: TOPIC,
  payload: Buffer.from(JSON.stringify({ v: 1, sentAt: new Date().toISOString(), observations })),
});

function ingestOver(sql: SqlDatabase, options: Partial<IngestDependencies> = {}) {
  const repos = repositories(sql);
  const metrics = createIngestMetrics();
  const ingest = createIngest({
    sql,
    observations: repos.observations,
    devices: repos.devices,
    deadLetters: repos.deadLetters,
    metrics,
    log: pino({ level: 'silent' }),
    ...options,
  });
  return { ingest, metrics, ...repos };
}

/**
 * Two servers' handles on the same records. SQLite serves one server process (its one connection
 * takes transactions in turn); PostgreSQL is shared by replicas, each with its own pool.
 */
async function twoServers(engine: TestEngine, own: SqlDatabase): Promise<[SqlDatabase, SqlDatabase]> {
  if (engine === 'sqlite') return [own, own];
  const location = await (await testPostgres()).createDatabase();
  return [await openSqlDatabase(location), await openSqlDatabase(location)];
}

describeEngines('ingest records', (open, engine) => {
  let sql: SqlDatabase;
  let r: ReturnType<typeof repositories>;
  const opened: SqlDatabase[] = [];

  beforeEach(async () => {
    sql = await open();
    opened.push(sql);
    await seed(sql);
    r = repositories(sql);
    await r.devices.registerDevice(CUFF, 'bp-cuff', 'site-t');
    await r.devices.registerDevice(OTHER_CUFF, 'bp-cuff', 'site-t', 'gw-2');
    await r.devices.assign(CUFF, 'p-1', 'nurse', minutesAgo(600));
  });
  afterEach(async () => {
    for (const db of opened.splice(0)) await db.close();
  });

  it('routes a device to its patient, bed and ward, and follows a change made by any statement', async () => {
    expect(await r.devices.route(CUFF)).toMatchObject({
      deviceId: CUFF,
      siteCode: 'site-t',
      gatewayCode: null,
      patientId: 'p-1',
      bedId: 'bed-1',
      wardId: 'ward-t',
    });
    expect(await r.devices.route(CUFF)).toMatchObject({ patientId: 'p-1' }); // remembered
    // The resident moves bed by a statement of no repository's: the route follows.
    await sql.run(`UPDATE patients SET bed_id = NULL WHERE id = 'p-1'`);
    expect(await r.devices.route(CUFF)).toMatchObject({ patientId: 'p-1', bedId: null, wardId: null });
    await r.devices.assign(CUFF, 'p-2', 'nurse', minutesAgo(1));
    expect(await r.devices.route(CUFF)).toMatchObject({ patientId: 'p-2', bedId: 'bed-2' });
    expect(await r.devices.route('ff:ff:ff:ff:ff:ff')).toBeUndefined();
    expect(await r.devices.route(OTHER_CUFF)).toMatchObject({ gatewayCode: 'gw-2', patientId: null });
  });

  it('tells who had a device when a reading was measured', async () => {
    const cuff = 'aa:00:00:00:00:09';
    await r.devices.registerDevice(cuff, 'bp-cuff', 'site-t');
    await r.devices.assign(cuff, 'p-2', 'nurse', minutesAgo(60));
    expect(await r.devices.assignmentAt(cuff, minutesAgo(120))).toEqual({ owner: 'first' });
    expect(await r.devices.unassign(cuff, 'nurse', minutesAgo(50))).toBe(true);
    expect(await r.devices.unassign(cuff, 'nurse', minutesAgo(50))).toBe(false);
    await r.devices.assign(cuff, 'p-1', 'nurse', minutesAgo(10));
    expect(await r.devices.assignmentAt(cuff, minutesAgo(55))).toEqual({
      owner: 'earlier',
      route: { patientId: 'p-2', assignedAt: expect.any(String), bedId: 'bed-2', wardId: 'ward-t' },
    });
    expect(await r.devices.assignmentAt(cuff, minutesAgo(30))).toEqual({ owner: 'handed-over' });
    expect(await r.devices.devicesAssignedTo('p-1')).toEqual(expect.arrayContaining([CUFF, cuff]));
    expect((await r.devices.listAssignments()).map((a) => [a.deviceId, a.patientId])).toEqual([
      [CUFF, 'p-1'],
      [cuff, 'p-1'],
    ]);
  });

  it('registers devices once, pins them, and keeps gateways and statuses', async () => {
    await r.devices.registerDevice(CUFF, 'another-model', 'site-x');
    expect(await r.devices.exists(CUFF)).toBe(true);
    expect(await r.devices.exists('ff:ff:ff:ff:ff:ff')).toBe(false);
    expect(await r.devices.pinToGateway(CUFF, 'gw-1')).toBe(true);
    expect(await r.devices.pinToGateway('ff:ff:ff:ff:ff:ff', 'gw-1')).toBe(false);
    const gateway = await r.devices.ensureGateway('site-t', 'gw-1');
    expect(await r.devices.ensureGateway('site-t', 'gw-1')).toBe(gateway);
    expect(await r.devices.gatewayWard(gateway)).toBeNull();
    await r.devices.assignGatewayToWard(gateway, 'ward-t');
    expect(await r.devices.gatewayWard(gateway)).toBe('ward-t');
    const status = { deviceId: CUFF, connected: true, lastSeen: minutesAgo(1) };
    expect(await r.devices.saveDeviceStatus(status, gateway, minutesAgo(1))).toBe(true);
    await r.devices.saveGatewayStatus(gateway, { v: 1, state: 'online', at: minutesAgo(1) }, minutesAgo(1));
    expect(await r.devices.list()).toEqual([
      { deviceId: CUFF, model: 'bp-cuff', gatewayId: gateway, status, pinnedGateway: 'gw-1' },
      { deviceId: OTHER_CUFF, model: 'bp-cuff', gatewayId: null, status: null, pinnedGateway: 'gw-2' },
    ]);
    const byPatient = await r.devices.devicesOfPatients(['p-1', 'p-2']);
    expect([...byPatient.keys()]).toEqual(['p-1']);
    expect(byPatient.get('p-1')).toEqual([{ deviceId: CUFF, model: 'bp-cuff', gatewayId: gateway, status }]);
    expect(await r.devices.gatewaysOfWard('ward-t')).toEqual([
      { id: gateway, status: { v: 1, state: 'online', at: expect.any(String) } },
    ]);
    expect(await r.devices.listGateways()).toMatchObject([
      { id: gateway, siteCode: 'site-t', wardId: 'ward-t' },
    ]);
  });

  it('stores a reading once, keeps the latest per kind, and tells a replay from a conflict', async () => {
    const first = bp({ measuredAt: minutesAgo(5), systolic: 120 });
    const record = {
      observation: first,
      patientId: 'p-1',
      gatewayId: 'site-t:gw-1',
      receivedAt: minutesAgo(0),
    };
    expect(await r.observations.insert(record)).toBe(true);
    expect(await r.observations.insert(record)).toBe(false);
    expect(await r.observations.exists(first.id)).toBe(true);
    expect(await r.observations.conflictsWithStored(first)).toBe(false);
    expect(await r.observations.conflictsWithStored({ ...first, seq: 2 })).toBe(true);

    // A reading replayed out of order does not move "latest" backwards.
    const older = bp({ measuredAt: minutesAgo(9), systolic: 110 });
    const newer = bp({ measuredAt: minutesAgo(2), systolic: 130 });
    await r.observations.insert({ ...record, observation: newer });
    await r.observations.insert({ ...record, observation: older });
    const latest = await r.observations.latestByPatient(['p-1', 'p-2']);
    expect([...latest.keys()]).toEqual(['p-1']);
    expect(latest.get('p-1')?.blood_pressure?.observation).toEqual(newer);

    const ids = async (query: Partial<Parameters<typeof r.observations.history>[0]>) =>
      (await r.observations.history({ patientId: 'p-1', limit: 10, ...query })).map((s) => s.observation.id);
    expect(await ids({})).toEqual([older.id, first.id, newer.id]);
    expect(await ids({ newestFirst: true, limit: 2 })).toEqual([newer.id, first.id]);
    expect(await ids({ from: minutesAgo(6), to: newer.measuredAt })).toEqual([first.id]);
    expect(await ids({ kind: 'spo2' })).toEqual([]);
    expect((await r.observations.history({ patientId: 'p-1', limit: 1 }))[0]).toEqual({
      observation: older,
      receivedAt: record.receivedAt,
      gatewayId: 'site-t:gw-1',
    });
  });

  it('keeps dead letters byte for byte, newest first, by code, page and organisation', async () => {
    const at = minutesAgo(0);
    await r.deadLetters.add({ topic: TOPIC, code: 'BAD_JSON', detail: 'd1', payload: '{', receivedAt: at });
    await r.deadLetters.add({
      topic: 'wardline/v1/elsewhere/gw-1/obs',
      code: 'UNKNOWN_DEVICE',
      detail: 'd2',
      payload: new Uint8Array([0xff, 0x00, 0x01]),
      receivedAt: at,
    });
    await r.deadLetters.add({
      topic: TOPIC,
      code: 'BAD_JSON',
      detail: 'd3',
      payload: 'x'.repeat(9000),
      receivedAt: at,
    });
    const all = await r.deadLetters.list({ limit: 10 });
    expect(all.map((d) => d.detail)).toEqual(['d3', 'd2', 'd1']);
    expect(all[0]).toMatchObject({ payloadBytes: 9000, payload: 'x'.repeat(8192) });
    expect(all[1]).toMatchObject({ payload: 'base64:/wAB', payloadBytes: 3 });
    expect((await r.deadLetters.list({ limit: 10, code: 'BAD_JSON' })).map((d) => d.detail)).toEqual([
      'd3',
      'd1',
    ]);
    expect((await r.deadLetters.list({ limit: 10, beforeId: all[0]!.id })).map((d) => d.detail)).toEqual([
      'd2',
      'd1',
    ]);
    expect((await r.deadLetters.list({ limit: 10, organisationId: 'org-t' })).map((d) => d.detail)).toEqual([
      'd3',
      'd1',
    ]);
    expect(await r.deadLetters.list({ limit: 10, organisationId: 'org-none' })).toEqual([]);
  });

  it('keeps a dead letter holding a NUL byte, as base64, on either engine', async () => {
    const at = minutesAgo(0);
    // Valid UTF-8 JSON with a NUL inside: PostgreSQL's text cannot hold it raw.
    await r.deadLetters.add({
      topic: TOPIC,
      code: 'BAD_JSON',
      detail: 'nul: a\u0000b',
      payload: '{"a":"\u0000"}',
      receivedAt: at,
    });
    await r.deadLetters.add({
      topic: TOPIC,
      code: 'BAD_JSON',
      detail: 'bytes',
      payload: new Uint8Array([0x7b, 0x00, 0x7d]),
      receivedAt: at,
    });
    const [bytes, text] = await r.deadLetters.list({ limit: 2 });
    expect(text).toMatchObject({
      payload: `base64:${Buffer.from('{"a":"\u0000"}').toString('base64')}`,
      detail: 'nul: a\\u0000b',
    });
    expect(bytes).toMatchObject({ payload: 'base64:ewB9', payloadBytes: 3 });
  });

  it('counts failed attempts at a message in one statement each, and forgets them', async () => {
    expect(await r.failures.attempts('h1')).toBe(0);
    expect(await r.failures.record('h1', TOPIC, 'e1', minutesAgo(0))).toBe(1);
    expect(await r.failures.record('h1', TOPIC, 'e2', minutesAgo(0))).toBe(2);
    expect(await r.failures.record('h2', TOPIC, 'e1', minutesAgo(0))).toBe(1);
    expect(await r.failures.attempts('h1')).toBe(2);
    await r.failures.forget('h1');
    expect(await r.failures.attempts('h1')).toBe(0);
    expect(await r.failures.attempts('h2')).toBe(1);
  });

  it('stores a group in one transaction, counting once it commits, and nothing of a group that fails', async () => {
    const poisonSystolic = 299;
    const { ingest, metrics, observations } = ingestOver(sql, {
      afterStore: async (outcomes: readonly IngestOutcome[]) => {
        await Promise.resolve();
        const poisoned = outcomes.some((o) =>
          o.observations.some(
            (a) =>
              (a.observation.values as { systolic?: { value: number } }).systolic?.value === poisonSystolic,
          ),
        );
        if (poisoned) throw new TypeError('rule fault');
      },
    });
    const good = bp();
    const poison = bp({ systolic: poisonSystolic });
    await expect(ingest.handleGroup([message(good), message(poison)])).rejects.toThrow('rule fault');
    expect(await observations.exists(good.id)).toBe(false);
    expect(metrics.counters).toMatchObject({ messages: 0, accepted: 0 });

    const outcomes = await ingest.handleGroup([
      message(good),
      message(good),
      message(bp({ deviceId: 'ff:ff:ff:ff:ff:ff' })),
    ]);
    expect(
      outcomes.map((o) => [o.observations.length, o.duplicates, o.rejections.map((x) => x.code)]),
    ).toEqual([
      [1, 0, []],
      [0, 1, []],
      [0, 0, ['UNKNOWN_DEVICE']],
    ]);
    expect(outcomes[0]!.observations[0]).toMatchObject({
      patientId: 'p-1',
      bedId: 'bed-1',
      wardId: 'ward-t',
    });
    expect(metrics.counters).toMatchObject({ messages: 3, accepted: 1, duplicates: 1 });
    expect(metrics.rejectedByCode().get('UNKNOWN_DEVICE')).toBe(1);

    const set = await ingest.quarantine(TOPIC, message(poison).payload, 3, 'TypeError: rule fault');
    expect(set.rejections.map((x) => x.code)).toEqual(['PROCESSING_FAILED']);
    expect(await observations.exists(poison.id)).toBe(false);
  });

  it('stores a reading once when two replicas take it at the same moment', async () => {
    const [a, b] = await twoServers(engine, sql);
    if (a !== sql) {
      opened.push(a, b);
      await seed(a);
      await repositories(a).devices.registerDevice(CUFF, 'bp-cuff', 'site-t');
      await repositories(a).devices.assign(CUFF, 'p-1', 'nurse', minutesAgo(600));
    }
    const replicaA = ingestOver(a);
    const replicaB = ingestOver(b);
    const readings = Array.from({ length: 20 }, (_, i) => bp({ seq: i }));
    const groups = readings.map((o) => message(o));
    const [fromA, fromB] = await Promise.all([
      replicaA.ingest.handleGroup(groups),
      replicaB.ingest.handleGroup(groups),
    ]);
    // Each reading stored by exactly one of them; the other saw it as a duplicate.
    for (const [i] of readings.entries()) {
      expect(fromA[i]!.observations.length + fromB[i]!.observations.length).toBe(1);
      expect(fromA[i]!.duplicates + fromB[i]!.duplicates).toBe(1);
    }
    const stored = await a.get<{ n: number }>('SELECT count(*) AS n FROM observations');
    expect(stored?.n).toBe(readings.length);
  });

  it('tells storage failing from a fault of the message, so that only the latter is ever set aside', async () => {
    const failure = async (ingest: ReturnType<typeof ingestOver>['ingest']) => {
      try {
        await ingest.handleGroup([message(bp())]);
      } catch (err) {
        return err;
      }
      throw new Error('stored');
    };
    const faulty = ingestOver(sql, {
      afterStore: () => {
        throw new TypeError('rule fault');
      },
    }).ingest;
    expect(storageFailureCode(await failure(faulty))).toBeNull();

    // A database that refuses writes (SQLite's query_only, a PostgreSQL standby).
    let readOnly = sql;
    if (engine === 'sqlite') (sql as SqliteDatabase).handle.pragma('query_only = 1');
    else {
      const location = await (await testPostgres()).createDatabase();
      const owner = await openSqlDatabase(location);
      const name = (await owner.get<{ name: string }>('SELECT current_database() AS name'))!.name;
      await owner.exec(`ALTER DATABASE "${name}" SET default_transaction_read_only = on`);
      // Already migrated by its owner: opened as a replica finds it.
      readOnly = postgresDatabase(location);
      opened.push(owner, readOnly);
    }
    expect(storageFailureCode(await failure(ingestOver(readOnly).ingest))).toMatch(
      engine === 'sqlite' ? /^SQLITE_READONLY/ : /^POSTGRES_25006$/,
    );
  });

  if (engine === 'postgres')
    it('takes a stopped PostgreSQL server for storage failing, and stores again once it is back', async () => {
      const server = await testPostgres();
      const { ingest, observations } = ingestOver(sql);
      await server.stop();
      let failure: unknown = null;
      try {
        await ingest.handleGroup([message(bp())]);
      } catch (err) {
        failure = err;
      } finally {
        await server.start();
      }
      expect(storageFailureCode(failure)).not.toBeNull();
      const reading = bp();
      // The pool replaces the connections the stop broke.
      await ingest.handleGroup([message(reading)]).catch(() => ingest.handleGroup([message(reading)]));
      expect(await observations.exists(reading.id)).toBe(true);
    });

  it('spools points in order, sized without a scan, and releases them as a prefix', async () => {
    const spool = createSpool(sql, 3);
    const unassigned = bp({ deviceId: OTHER_CUFF });
    const { ingest } = ingestOver(sql, { spool });
    await ingest.handle(TOPIC.replace('gw-1', 'gw-2'), message(unassigned).payload);
    await ingest.handle(TOPIC, message(bp(), bp()).payload);
    expect(await spool.size()).toBe(3);
    expect(spool.knownSize()).toBe(3);
    await expect(ingest.handle(TOPIC, message(bp()).payload)).rejects.toThrow('spool is full');
    expect(spool.holding()).toBe(true);
    const lines = await spool.peek(10);
    expect(lines[0]!.line).toMatch(/^blood_pressure,device=aa:00:00:00:00:02 /);
    expect(lines[1]!.line).toMatch(/^blood_pressure,patient=p-1,device=aa:00:00:00:00:01 /);
    await spool.release(lines[1]!.id);
    expect(await spool.size()).toBe(1);
    expect(await spool.oldestEnqueuedAt()).toEqual(expect.any(String));
  });

  it('removes readings past the retention and their latest entries', async () => {
    const old = bp({ measuredAt: new Date(Date.now() - 40 * 86_400_000).toISOString() });
    const recent = bp({ measuredAt: minutesAgo(5) });
    for (const observation of [old, recent])
      await r.observations.insert({
        observation,
        patientId: 'p-1',
        gatewayId: 'g',
        receivedAt: minutesAgo(0),
      });
    expect(await applyRetention(sql, 30)).toBe(1);
    expect(await r.observations.exists(old.id)).toBe(false);
    expect(await r.observations.exists(recent.id)).toBe(true);
  });
});
