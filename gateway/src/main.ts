/**
 * CLI entry: `npm start -w @wardline/gateway` (simulator mode) or
 * `tsx gateway/src/main.ts [--simulate] [options]`. See --help.
 *
 * Devices are always read through noble: the machine's Bluetooth adapter, or with --simulate
 * firmware-sim's devices behind a simulated noble binding (the same noble objects, no radio).
 * Without an adapter the gateway says so and exits; it never falls back to simulated readings by
 * itself. SIGTERM/SIGINT stop it gracefully: devices disconnect, the outbox drains for a few
 * seconds, the retained offline status is published; what is not acknowledged stays on disk.
 */
import { readFileSync } from 'node:fs';
import type * as FirmwareSim from '@wardline/firmware-sim';
import type { ResidentSpec, SimulatedBinding, SimulatedHome } from '@wardline/firmware-sim';
import { pino } from 'pino';
import { NoAdapterError, NobleCentral } from './ble/central.js';
import { loadSystemNoble, nobleWithBinding, type NobleLike } from './ble/noble.js';
import { ConfigError, describeBroker, parseConfig, type GatewayConfig } from './config.js';
import { SqliteOutbox } from './durable-outbox.js';
import { startGateway } from './gateway.js';

// The outbox holds readings (personal data): files this process creates are its user's alone.
process.umask(0o077);

function load(): GatewayConfig {
  try {
    const result = parseConfig(process.argv.slice(2), process.env);
    if (result.kind === 'help') {
      console.log(result.text);
      process.exit(0);
    }
    for (const warning of result.warnings) console.warn(`warning: ${warning}`);
    return result.config;
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`configuration error: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
}

const config = load();
const logger = pino({ level: config.logLevel, base: { service: 'gateway' } });

let ca: Buffer | undefined;
if (config.broker.caPath) {
  try {
    ca = readFileSync(config.broker.caPath);
  } catch (err) {
    console.error(`cannot read the broker CA file: ${(err as Error).message}`);
    process.exit(2);
  }
}

// The simulator is loaded only with --simulate: a hub reading real devices never carries it.
type Simulator = typeof FirmwareSim;

/** The demo fleet's residents when this is one of its gateways (the server's demo seed knows them). */
function residents({ demoFleet, residentsFromDemoGateway }: Simulator): number | ResidentSpec[] {
  if (config.simulator.residents !== undefined) return config.simulator.residents;
  // A provisioned kit: one resident wearing the kit's cuff and falls sensor.
  if (config.devices !== undefined) {
    const cuff = config.devices.find((d) => d.model === 'bp-cuff');
    const sensor = config.devices.find((d) => d.model === 'falls-sensor');
    return [
      {
        scenario: 'normal',
        ...(cuff ? { cuffId: cuff.id } : {}),
        ...(sensor ? { fallsSensorId: sensor.id } : {}),
      },
    ];
  }
  const demo = demoFleet()
    .flatMap((w) => w.gateways)
    .find((g) => g.site === config.site && g.gateway === config.gateway);
  return demo ? residentsFromDemoGateway(demo) : 4;
}

let home: SimulatedHome | undefined;
let binding: SimulatedBinding | undefined;
let noble: NobleLike;
if (config.simulate) {
  const simulator = await import('@wardline/firmware-sim');
  home = new simulator.SimulatedHome({
    residents: residents(simulator),
    seed: config.simulator.seed,
    timeScale: config.simulator.timeScale,
    bpIntervalMs: config.simulator.bpIntervalMinutes * 60_000,
    heartbeatIntervalMs: config.simulator.heartbeatSeconds * 1000,
  });
  const radio = new simulator.SimulatedBinding(home.allDevices());
  home.on('rssi', (deviceId, dBm) => radio.setRssi(deviceId, dBm));
  binding = radio;
  noble = nobleWithBinding(radio);
} else {
  const system = loadSystemNoble();
  if (!system.ok) {
    console.error(
      `No usable Bluetooth: noble could not load (${system.reason}). ` +
        'Check the adapter and its permissions, or run with --simulate for simulated devices.',
    );
    process.exit(2);
  }
  noble = system.noble;
}

let outbox: SqliteOutbox;
try {
  outbox = new SqliteOutbox({ path: config.outboxPath, capacity: config.outboxCapacity });
} catch (err) {
  console.error(`cannot open the outbox at ${config.outboxPath}: ${(err as Error).message}`);
  process.exit(2);
}

logger.info(
  {
    site: config.site,
    gateway: config.gateway,
    broker: describeBroker(config),
    outbox: { path: config.outboxPath, pending: outbox.size(), capacity: outbox.capacity },
    mode: config.simulate ? 'simulator (noble on a simulated binding)' : 'Bluetooth adapter (noble)',
    ...(home ? { simulator: { devices: home.devices().length, timeScale: home.timeScale } } : {}),
  },
  'starting gateway',
);

const central = new NobleCentral({ noble, allow: config.allow, logger: logger.child({ component: 'ble' }) });
const gateway = await startGateway({
  site: config.site,
  gateway: config.gateway,
  broker: {
    url: config.broker.urls,
    username: config.broker.username,
    ...(config.broker.password !== undefined ? { password: config.broker.password } : {}),
    ...(config.broker.clientId ? { clientId: config.broker.clientId } : {}),
    ...(ca ? { ca } : {}),
  },
  source: central,
  outbox,
  routinePerSecond: config.replayPerSecond,
  statusIntervalMs: config.statusIntervalSeconds * 1000,
  logger,
});
try {
  await central.start();
} catch (err) {
  if (!(err instanceof NoAdapterError)) throw err;
  logger.error({ code: 'NO_BLUETOOTH_ADAPTER', detail: err.message }, 'no usable Bluetooth adapter');
  console.error(`No usable Bluetooth adapter (${err.message}). Run with --simulate for simulated devices.`);
  await gateway.stop(2000);
  process.exit(2);
}
home?.start({ connectDevices: false });
const health =
  config.healthPort !== undefined
    ? // node:http costs a hub about 10 MiB: loaded only when the endpoint is asked for.
      await (
        await import('./health.js')
      ).startHealthServer(config.healthPort, gateway, () => ({
        ble: central.deviceStates(),
        memory: memory(),
      }))
    : undefined;
if (health) logger.info({ port: health.port }, 'health endpoint on 127.0.0.1');

/** The process's own memory, for an installer watching a small hub (KiB). */
function memory() {
  const { rss, heapUsed, heapTotal } = process.memoryUsage();
  const kib = (bytes: number) => Math.round(bytes / 1024);
  return { rssKiB: kib(rss), heapUsedKiB: kib(heapUsed), heapTotalKiB: kib(heapTotal) };
}

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'stopping');
  // Let go of the devices before they go quiet: a disconnect asked for is not a lost link.
  await central.stop();
  home?.stop();
  binding?.stop();
  await health?.close();
  await gateway.stop();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
