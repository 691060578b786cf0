/**
 * The demo's simulated homes: one gateway per gateway of firmware-sim's demoFleet(), each with
 * its own MQTT connection and credentials, reading simulated devices in this one process. The
 * devices sit behind a simulated noble binding, so each gateway finds, connects and subscribes
 * to them through noble exactly as to real ones. Each gateway keeps a durable outbox in
 * WARDLINE_OUTBOX_DIR. Started by scripts/start.ts; reads the gateway passwords from the demo
 * secrets file.
 *
 * The homes run on the demo's script (firmware-sim/src/demo-script.ts): a demo clock
 * WARDLINE_DEMO_SPEED times faster than real time (default 60), cuffs morning and evening, rounds
 * every four demo hours, and the record in WARDLINE_DEMO_STATE of what has already happened, so a
 * restart continues the story. With WARDLINE_DEMO_SERVER_URL, the demo nurse records the rounds'
 * staff observations on the server.
 */
import {
  demoFleet,
  demoPatientId,
  DemoScript,
  demoSpeedFromEnv,
  SimulatedBinding,
  type SimulatedHome,
} from '@wardline/firmware-sim';
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
import { staffRounds } from './demo-staff-rounds.js';

const secretsPath = process.env.WARDLINE_FLEET_SECRETS;
const brokerUrl = process.env.WARDLINE_BROKER_URL ?? 'mqtt://127.0.0.1:1883';
const speed = (() => {
  try {
    return demoSpeedFromEnv(process.env.WARDLINE_DEMO_SPEED);
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
})();
const serverUrl = process.env.WARDLINE_DEMO_SERVER_URL;
const outboxDir = process.env.WARDLINE_OUTBOX_DIR ?? 'data';
if (!secretsPath) {
  console.error('WARDLINE_FLEET_SECRETS must name the demo secrets file');
  process.exit(2);
}
const secrets = JSON.parse(readFileSync(secretsPath, 'utf8')) as {
  gatewayPasswords: Record<string, string>;
  demoPasswords?: { nurse?: string };
};
const logger = pino({ level: process.env.LOG_LEVEL ?? 'info', base: { service: 'gateways' } });
const script = new DemoScript({
  speed,
  ...(process.env.WARDLINE_DEMO_STATE && { path: process.env.WARDLINE_DEMO_STATE }),
});
const nursePassword = secrets.demoPasswords?.nurse;
const rounds =
  serverUrl && nursePassword
    ? staffRounds({ baseUrl: serverUrl, username: 'nurse', password: nursePassword, logger })
    : null;
// Where the demo clock is, now and then: a restart (or a crash) continues from about here.
const checkpoints = setInterval(() => script.save(), 30_000);

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
  clearInterval(checkpoints);
  rounds?.stop();
  // The gateways let go of their devices before the devices go quiet: a disconnect the gateway
  // asked for is not a lost link.
  await Promise.all(running.map(({ central }) => central.stop()));
  for (const { home } of running) home.stop();
  for (const { binding } of running) binding.stop();
  script.save();
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
    const home = script.home(g, {
      seed: seed++,
      onStaffRound: ({ residentIndex, vitals }) =>
        void rounds?.record(demoPatientId(ward, g.residents[residentIndex]!), vitals),
    });
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
if (!stopping) {
  script.save();
  logger.info(
    {
      gateways: running.length,
      devices: running.reduce((n, r) => n + r.home.devices().length, 0),
      speed,
      demoHours: Math.round((script.scenarioMs() / 3_600_000) * 10) / 10,
    },
    'simulated homes running',
  );
}
