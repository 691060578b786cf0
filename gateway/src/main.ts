/**
 * CLI entry: `npm start -w @wardline/gateway` (simulator mode) or
 * `tsx gateway/src/main.ts --simulate`. See --help. SIGTERM/SIGINT stop it gracefully: devices
 * disconnect, the outbox drains for a few seconds, the retained offline status is published.
 */
import { readFileSync } from 'node:fs';
import {
  demoFleet,
  residentsFromDemoGateway,
  SimulatedHome,
  type ResidentSpec,
} from '@wardline/firmware-sim';
import { pino } from 'pino';
import { ConfigError, describeBroker, parseConfig, type GatewayConfig } from './config.js';
import { startGateway } from './gateway.js';
import { MemoryOutbox } from './queue.js';

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
if (!config.simulate) {
  console.error(
    'BLE radio support is not built yet: run with --simulate (or WARDLINE_SIMULATE=1). See --help.',
  );
  process.exit(2);
}

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

/** The demo fleet's residents when this is one of its gateways (the server's demo seed knows them). */
function residents(): number | ResidentSpec[] {
  if (config.simulator.residents !== undefined) return config.simulator.residents;
  const demo = demoFleet()
    .flatMap((w) => w.gateways)
    .find((g) => g.site === config.site && g.gateway === config.gateway);
  return demo ? residentsFromDemoGateway(demo) : 4;
}

const home = new SimulatedHome({
  residents: residents(),
  seed: config.simulator.seed,
  timeScale: config.simulator.timeScale,
  bpIntervalMs: config.simulator.bpIntervalMinutes * 60_000,
  heartbeatIntervalMs: config.simulator.heartbeatSeconds * 1000,
});

logger.info(
  {
    site: config.site,
    gateway: config.gateway,
    broker: describeBroker(config),
    simulator: { devices: home.devices().length, timeScale: home.timeScale, seed: config.simulator.seed },
  },
  'starting gateway in simulator mode',
);

const gateway = await startGateway({
  site: config.site,
  gateway: config.gateway,
  broker: {
    url: config.broker.url,
    username: config.broker.username,
    ...(config.broker.password !== undefined ? { password: config.broker.password } : {}),
    ...(config.broker.clientId ? { clientId: config.broker.clientId } : {}),
    ...(ca ? { ca } : {}),
  },
  source: home,
  outbox: new MemoryOutbox({ capacity: config.outboxCapacity }),
  statusIntervalMs: config.statusIntervalSeconds * 1000,
  logger,
});
home.start();

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'stopping');
  home.stop();
  await gateway.stop();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
