import { Agent, request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import { testContext } from '../testing.js';

describe('closing the server while it answers', () => {
  it('ends a kept-alive connection after its answer, so a rolling restart does not wait 72 s', async () => {
    const ctx = await testContext();
    const app = await buildApp({ context: ctx });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let arrived!: () => void;
    const inFlight = new Promise<void>((resolve) => (arrived = resolve));
    app.get('/slow-answer', async () => {
      arrived();
      await held;
      return { ok: true };
    });
    // The answer is given while the server is closing.
    app.addHook('preClose', async () => release());
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as { port: number };
    const agent = new Agent({ keepAlive: true });
    try {
      const answer = new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/slow-answer', agent }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection }));
        });
        req.on('error', reject);
        req.end();
      });
      await inFlight;
      const started = performance.now();
      const closed = app.close();
      expect(await answer).toEqual({ status: 200, connection: 'close' });
      await closed;
      expect(performance.now() - started).toBeLessThan(5_000);
    } finally {
      agent.destroy();
      await ctx.sql.close();
    }
  });
});
