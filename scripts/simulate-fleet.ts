/**
 * The demo's simulated homes: one gateway per gateway of firmware-sim's demoFleet(), each with
 * its own MQTT connection and credentials, reading simulated devices in this one process. The
 * devices sit behind a simulated noble binding, so each gateway finds, connects and subscribes
 * to them through noble exactly as to real ones. Each gateway keeps a durable outbox in
 * WARDLINE_OUTBOX_DIR. Started by scripts/start.ts; reads the gateway passwords from the demo
 * secrets file.
 */
import { demoFleet, residentsFromDemoGateway, SimulatedBinding, SimulatedHome } from '@wardline/firmware-sim';
import {
  NobleCentral,
  nobleWithBinding,
  SqliteOutbox,
  startGateway,
  type RunningGateway,
} from '@wardline/gateway';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';

const secretsPath = process.env.WARDLINE_FLEET_SECRETS;
const brokerUrl = process.env.WARDLINE_BROKER_URL ?? 'mqtt://127.0.0.1:1883';
const timeScale = Number(process.env.WARDLINE_SIM_TIME_SCALE ?? 8640);
const outboxDir = process.env.WARDLINE_OUTBOX_DIR ?? 'data';
if (!secretsPath) {
  console.error('WARDLINE_FLEET_SECRETS must name the demo secrets file');
  process.exit(2);
}
const secrets = JSON.parse(readFileSync(secretsPath, 'utf8')) as { gatewayPasswords: Record<string, string> };
const logger = pino({ level: process.env.LOG_LEVEL ?? 'info', base: { service: 'gateways' } });

const running: {
  home: SimulatedHome;
  binding: SimulatedBinding;
  central: NobleCentral;
  gateway: RunningGateway;
}[] = [];
let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'stopping simulated homes');
  // The gateways let go of their devices before the devices go quiet: a disconnect the gateway
  // asked for is not a lost link.
  await Promise.all(running.map(({ central }) => central.stop()));
  for (const { home } of running) home.stop();
  for (const { binding } of running) binding.stop();
  await Promise.all(running.map(({ gateway }) => gateway.stop(2000)));
  logger.info({ gateways: running.length }, 'simulated homes stopped');
  process.exit(0);
}
// Before the gateways start: a stop during start-up stops those already running.
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

let seed = 1;
for (const ward of demoFleet()) {
  for (const g of ward.gateways) {
    if (stopping) break;
    const username = `${g.site}.${g.gateway}`;
    const password = secrets.gatewayPasswords[username];
    if (!password) {
      console.error(`${secretsPath} has no password for ${username}: delete the file and start again`);
      process.exit(2);
    }
    const home = new SimulatedHome({ residents: residentsFromDemoGateway(g), timeScale, seed: seed++ });
    const binding = new SimulatedBinding(home.allDevices());
    home.on('rssi', (deviceId, dBm) => binding.setRssi(deviceId, dBm));
    const log = logger.child({ gateway: username });
    const central = new NobleCentral({
      noble: nobleWithBinding(binding),
      logger: log.child({ component: 'ble' }),
    });
    const gateway = await startGateway({
      site: g.site,
      gateway: g.gateway,
      broker: { url: brokerUrl, username, password },
      source: central,
      outbox: new SqliteOutbox({ path: join(outboxDir, `outbox-${g.site}-${g.gateway}.db`) }),
      logger: log,
    });
    await central.start();
    home.start({ connectDevices: false });
    running.push({ home, binding, central, gateway });
  }
}
if (!stopping)
  logger.info(
    { gateways: running.length, devices: running.reduce((n, r) => n + r.home.devices().length, 0) },
    'simulated homes running',
  );
