import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../app.js';
import { TEST_PASSWORD, testContext } from '../testing.js';

describe("the demo's label", () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => app?.close());

  const session = async (token?: string) =>
    (
      await app!.inject({
        method: 'GET',
        url: '/api/auth/session',
        ...(token && { headers: { authorization: `Bearer ${token}` } }),
      })
    ).json<{ user: { username: string } | null; demo?: boolean }>();

  it('tells the dashboard, signed in or out, that a demo server holds simulated data', async () => {
    app = await buildApp({ context: await testContext(), demo: true });
    expect(await session()).toEqual({ user: null, demo: true });
    const login = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'nurse', password: TEST_PASSWORD },
    });
    const { token } = login.json<{ token: string }>();
    expect(await session(token)).toMatchObject({ user: { username: 'nurse' }, demo: true });
  });

  it('says nothing of the kind on any other server', async () => {
    app = await buildApp({ context: await testContext() });
    expect(await session()).toEqual({ user: null });
  });
});
