import mqtt from 'mqtt';
import { hashPassword } from '../password.js';
import type { UserEntry } from '../users.js';

/** Cheap scrypt parameters: tests check who may connect, not how long a guess takes. */
const CHEAP = { N: 1024, r: 8, p: 1 };

/**
 * The server (`wardline-server`, password `server-secret`) and `count` gateways of site-a
 * (`a.g1` ... with passwords `g1-secret` ..., gateway codes `gw-1` ...).
 */
export async function siteUsers(count: number): Promise<UserEntry[]> {
  const users: UserEntry[] = [
    { username: 'wardline-server', passwordHash: await hashPassword('server-secret', CHEAP), role: 'server' },
  ];
  for (let g = 1; g <= count; g++) {
    users.push({
      username: `a.g${g}`,
      passwordHash: await hashPassword(`g${g}-secret`, CHEAP),
      role: 'gateway',
      site: 'site-a',
      gateway: `gw-${g}`,
    });
  }
  return users;
}

/** Publish limits out of the way, for tests of something else. */
export const UNLIMITED_PUBLISH_RATES = {
  routine: { perSecond: 1e6, burst: 1e6, bytes: { perSecond: 1e9, burst: 1e9 } },
  urgent: { perSecond: 1e6, burst: 1e6, bytes: { perSecond: 1e9, burst: 1e9 } },
};

/**
 * An mqtt.js client with a persistent session (clean: false) that does not reconnect, and the
 * payloads it receives as text.
 */
export async function connectPersistent(port: number, username: string, password: string, clientId: string) {
  const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
    username,
    password,
    clientId,
    clean: false,
    reconnectPeriod: 0,
  });
  const received: string[] = [];
  client.on('message', (_topic, payload) => received.push(payload.toString()));
  const connack = await new Promise<{ sessionPresent: boolean }>((resolve, reject) => {
    client.once('connect', resolve);
    client.once('error', reject);
  });
  return { client, received, sessionPresent: connack.sessionPresent };
}
