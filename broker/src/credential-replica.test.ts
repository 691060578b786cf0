/**
 * Replica edge cases the real server rarely shows, against a real HTTP endpoint on 127.0.0.1 that
 * serves chosen feed states: a feed that goes back in version (the server's database restored from
 * an older backup), a malformed feed, a refused token. The replica against the real Wardline app
 * and a real broker is server/src/kits/broker-replica.test.ts.
 */
import { createServer, type Server } from 'node:http';
import type { BrokerCredentialFeed } from '@wardline/protocol';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { CredentialReplica } from './credential-replica.js';
import { hashKitSecret } from './password.js';

const TOKEN = 'replica-test-token-0123456789abcdef';
let server: Server | undefined;
let replica: CredentialReplica | undefined;
afterEach(async () => {
  replica?.stop();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
});

const user = (n: number) => ({
  username: `home.kit-${n}`,
  site: 'home',
  gateway: `kit-${n}`,
  secrets: [{ hash: hashKitSecret(`secret-${n}`), notAfter: null }],
});

/** Serves `state()` to the right token; records the `since` asked for. */
async function serve(state: () => unknown, asked: number[] = []): Promise<string> {
  server = createServer((request, response) => {
    asked.push(Number(new URL(request.url!, 'http://x').searchParams.get('since')));
    if (request.headers.authorization !== `Bearer ${TOKEN}`) return void response.writeHead(401).end();
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(state()));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}/feed`;
}

function replicaOf(url: string, token = TOKEN): CredentialReplica {
  replica = new CredentialReplica({ url, token, logger: pino({ level: 'silent' }), intervalMs: 60_000 });
  return replica;
}

describe('CredentialReplica', () => {
  it('reloads the whole state, forgetting users it no longer names, when the feed goes back in version', async () => {
    let feed: BrokerCredentialFeed = { version: 7, users: [user(1), user(2)] };
    const asked: number[] = [];
    const r = replicaOf(await serve(() => feed, asked));
    const changes: string[][] = [];
    r.onChange((usernames) => changes.push([...usernames]));
    await r.start();
    expect(r.find('home.kit-2')).toBeDefined();

    // Restored from a backup taken before kit 2 existed.
    feed = { version: 3, users: [user(1)] };
    await r.syncNow();
    expect(asked.slice(-2)).toEqual([7, 0]);
    expect(r.find('home.kit-1')).toBeDefined();
    expect(r.find('home.kit-2')).toBeUndefined();
    expect(r.status().version).toBe(3);
    expect(changes.at(-1)).toEqual(expect.arrayContaining(['home.kit-2']));
  });

  it('keeps what it holds when the feed is malformed or the token refused, and counts the failures', async () => {
    const kit = user(1);
    let feed: unknown = { version: 1, users: [kit] };
    const url = await serve(() => feed);
    const r = replicaOf(url);
    await r.start();
    feed = {
      version: 2,
      users: [{ ...kit, secrets: [{ hash: 'not-a-kit-hash', notAfter: null }] }],
    };
    await r.syncNow();
    expect(r.find(kit.username)?.passwordHashes).toEqual([kit.secrets[0]!.hash]);
    expect(r.status()).toMatchObject({
      version: 1,
      syncFailures: 1,
      lastError: expect.stringMatching(/malformed/),
    });
    r.stop();

    const refused = replicaOf(url, 'wrong-token-0123456789abcdef');
    await refused.start();
    expect(refused.status()).toMatchObject({
      users: 0,
      stale: true,
      lastError: expect.stringMatching(/401/),
    });
  });
});
