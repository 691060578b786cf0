import { demoFleet } from '@wardline/firmware-sim/demo-fleet';
import { configFromEnv } from './config.js';
import { startServer } from './server.js';

let config;
try {
  config = configFromEnv();
} catch (err) {
  console.error(`wardline-server: ${(err as Error).message}`);
  process.exit(1);
}

const demoPassword = process.env.WARDLINE_DEMO_PASSWORD;
if (config.demo && !demoPassword) {
  console.error('wardline-server: WARDLINE_DEMO=1 needs WARDLINE_DEMO_PASSWORD for the demo users');
  process.exit(1);
}

const server = await startServer({
  config,
  ...(config.demo && demoPassword ? { demo: { fleet: demoFleet(), password: demoPassword } } : {}),
});
server.app.log.info({ port: server.port }, 'wardline server ready');

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    server.app.log.info({ signal }, 'shutting down');
    server
      .close()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        console.error(err);
        process.exit(1);
      });
  });
}
