/**
 * Cost per reading by stage of the server's ingest path, in process: decode, validate, route,
 * store, score, push, in microseconds per reading, with bare baselines from the same run (a bare
 * JSON.parse of the same payloads, a bare prepared INSERT of the same rows into the same kind of
 * database) and the ratios.
 *
 * Fleet: firmware-sim's planFleet/FleetReadings (cuffs, oximeters, thermometers taking turns, falls
 * on the urgent lane), one message of 1-5 readings per gateway per round, groups of up to 200
 * messages as the subscriber's group commit forms them; one staff socket per ward listening.
 *
 * How each stage is taken: decode and validate are timed on their own over the same payloads
 * (the same functions ingest calls); route, score and push are timed inside the real path by
 * wrapping the device repository, the alert engine's evaluate plus the NEWS2 history, and the
 * hub's broadcastGroup (one `observations` event per ward per group, as the subscriber pushes); store is the rest of handleGroup (inserts, savepoints,
 * commit: one WAL sync per group).
 *
 * BENCH_GATEWAYS (default 200, 5 residents each), BENCH_ROUNDS (default 15).
 */
import { decodeJsonPayload, parseObservationBatch, parseUplinkTopic } from '@wardline/protocol';
import { connect, type Socket } from 'socket.io-client';
import type { AddressInfo } from 'node:net';
import {
  bareInsert,
  fleetGroups,
  readingsIn,
  startIngestPath,
  tempDir,
  type FleetMessage,
} from '../src/ingest/cost-fixture.js';
import type { IngestDependencies } from '../src/ingest/ingest.js';

const GATEWAYS = Number(process.env.BENCH_GATEWAYS ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const WARMUP_ROUNDS = 2;

const totals = { route: 0, score: 0, track: 0, trackInTransaction: 0, push: 0, inserts: 0 };
type Stage = keyof typeof totals;

let scoring = false;
function timed<A extends unknown[], R>(stage: Stage, fn: (...args: A) => R): (...args: A) => R {
  return (...args: A) => {
    const start = performance.now();
    const outer = !scoring && stage === 'score';
    if (outer) scoring = true;
    const done = () => {
      if (outer) scoring = false;
      // NEWS2 history inside the ingest transaction counts in score already; apart for the table.
      totals[stage === 'track' && scoring ? 'trackInTransaction' : stage] += performance.now() - start;
    };
    let result: R;
    try {
      result = fn(...args);
    } catch (err) {
      done();
      throw err;
    }
    // Repository methods are async: their time runs until the promise settles.
    if (result instanceof Promise) return result.finally(done) as R;
    done();
    return result;
  };
}

function wrap(deps: IngestDependencies): IngestDependencies {
  const d = deps.devices;
  const o = deps.observations;
  return {
    ...deps,
    devices: {
      ...d,
      route: timed('route', d.route),
      router: async () => timed('route', await timed('route', d.router)()),
      ensureGateway: timed('route', d.ensureGateway),
      assignmentAt: timed('route', d.assignmentAt),
      gatewayWard: timed('route', d.gatewayWard),
    },
    observations: {
      ...o,
      insert: timed('inserts', o.insert),
      insertMany: timed('inserts', o.insertMany),
      conflictsWithStored: timed('inserts', o.conflictsWithStored),
    },
    afterStore: deps.afterStore && timed('score', deps.afterStore),
  };
}

const dir = tempDir();
try {
  const fleet = { gateways: GATEWAYS, residentsPerGateway: 5 };
  console.log(`seeding ${GATEWAYS} gateways × 5 residents (cuff, oximeter, thermometer, falls sensor each)…`);
  const path = await startIngestPath(dir.path, fleet, wrap);
  const groups = fleetGroups(path.plan, { ...fleet, rounds: ROUNDS + WARMUP_ROUNDS });
  const warmGroups = Math.ceil((WARMUP_ROUNDS * GATEWAYS) / 200);
  const warm = groups.slice(0, warmGroups);
  const measured = groups.slice(warmGroups);
  const readings = readingsIn(measured);
  const messages = measured.reduce((n, g) => n + g.length, 0);

  // Staff watching every ward, as on a shift: the pushes go out to real sockets.
  const base = `http://127.0.0.1:${(path.app.server.address() as AddressInfo).port}`;
  const login = await path.app.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { username: 'admin', password: 'cost-fixture-password' },
  });
  const token = (login.json() as { token: string }).token;
  let received = 0;
  let batches = 0;
  const sockets: Socket[] = [];
  for (const ward of path.plan.wards) {
    const socket = connect(base, { auth: { token }, transports: ['websocket'], forceNew: true });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    await socket.emitWithAck('joinWard', ward.id);
    socket.on('observations', (batch) => {
      batches++;
      received += batch.observations.length;
    });
    sockets.push(socket);
  }

  // The hub's NEWS2 history, timed as part of scoring (it runs inside broadcast).
  const history = path.ctx.news2History;
  history.track = timed('track', history.track.bind(history));
  history.trackAll = timed('track', history.trackAll.bind(history));
  path.hub.broadcastGroup = timed('push', path.hub.broadcastGroup.bind(path.hub));

  const tick = () => new Promise((resolve) => setImmediate(resolve));
  const run = async (list: FleetMessage[][]) => {
    let ms = 0;
    for (const group of list) {
      const start = performance.now();
      const outcomes = await path.ingestGroup(group);
      ms += performance.now() - start;
      if (outcomes.length !== group.length) throw new Error('lost outcomes');
      await tick(); // let the sockets drain, as between groups in the subscriber
    }
    return ms;
  };
  await run(warm);
  for (const key of Object.keys(totals) as Stage[]) totals[key] = 0;
  const fullMs = await run(measured);
  const stored = (await path.ctx.sql.get<{ n: number }>('SELECT count(*) AS n FROM observations'))!;

  // Decode and validate on their own, over the same payloads, as ingest calls them.
  const all = measured.flat();
  const pass = (fn: (m: FleetMessage) => unknown) => {
    for (const m of all.slice(0, 200)) fn(m);
    const start = performance.now();
    for (const m of all) fn(m);
    return performance.now() - start;
  };
  const bareParseMs = pass((m) => JSON.parse(m.payload.toString('utf8')));
  const decodeMs = pass((m) => {
    parseUplinkTopic(m.topic);
    return decodeJsonPayload(m.payload);
  });
  const decoded = all.map((m) => decodeJsonPayload(m.payload));
  const now = Date.now();
  let i = 0;
  const validateMs = pass((m) => {
    const d = decoded[i++ % decoded.length]!;
    if (!d.ok) throw new Error('undecodable payload');
    const parsed = parseObservationBatch(d.value, { now, urgentOnly: m.topic.endsWith('/urgent') });
    // ingest's one textual form per instant, part of validation
    if (parsed.ok)
      for (const r of parsed.value.results)
        if (r.result.ok) new Date(r.result.value.measuredAt).toISOString();
    return parsed;
  });

  const bare = bareInsert(dir.path);
  for (const g of warm) bare.insertGroup(g);
  const bareStart = performance.now();
  for (const g of measured) bare.insertGroup(g);
  const bareInsertMs = performance.now() - bareStart;
  bare.db.close();

  const score = totals.score + totals.track; // rules (+ history in the transaction) + history after commit
  const push = totals.push - totals.track;
  const handleGroupMs = fullMs - totals.push; // ingestGroup = handleGroup + broadcast (+ publish)
  const store = handleGroupMs - totals.score - totals.route - decodeMs - validateMs;
  const us = (ms: number) => (ms * 1000) / readings;
  const rows: [string, number, string][] = [
    ['decode', decodeMs, 'topic + payload size/nesting check + JSON.parse'],
    ['validate', validateMs, 'contract checks, measuredAt normalised'],
    ['route', totals.route, 'gateway, device route, attribution'],
    ['store', store, `rest of handleGroup: inserts ${us(totals.inserts).toFixed(1)} µs, savepoints, commit`],
    [
      'score',
      score,
      `rules ${us(totals.score - totals.trackInTransaction).toFixed(1)} µs, NEWS2 history in tx ${us(totals.trackInTransaction).toFixed(1)} µs / after commit ${us(totals.track).toFixed(1)} µs`,
    ],
    ['push', push, 'socket.io broadcast + alert publish'],
  ];
  console.log(
    `\n${readings} readings in ${messages} messages, ${measured.length} groups; ${stored.n} stored in all; ` +
      `${received} readings in ${batches} observations events at ${sockets.length} staff sockets ` +
      `(shared 2-core machine)\n`,
  );
  console.log('stage      µs/reading  share  what');
  for (const [name, ms, what] of rows)
    console.log(
      `${name.padEnd(10)} ${us(ms).toFixed(1).padStart(10)}  ${((100 * ms) / fullMs).toFixed(0).padStart(4)} %  ${what}`,
    );
  console.log(
    `${'total'.padEnd(10)} ${us(fullMs).toFixed(1).padStart(10)}  → ${(readings / (fullMs / 1000)).toFixed(0)} readings/s on one core`,
  );
  console.log('\nbaselines (same payloads, same run)');
  console.log(
    `bare JSON.parse       ${us(bareParseMs).toFixed(1).padStart(7)} µs/reading   decode ÷ bare ${(decodeMs / bareParseMs).toFixed(2)}`,
  );
  console.log(
    `bare prepared INSERT  ${us(bareInsertMs).toFixed(1).padStart(7)} µs/reading   store ÷ bare ${(store / bareInsertMs).toFixed(2)}   total ÷ bare ${(fullMs / bareInsertMs).toFixed(2)}`,
  );

  for (const s of sockets) s.close();
  await path.close();
} finally {
  dir.remove();
}
