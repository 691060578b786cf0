/**
 * The HTTP side of the contract, over a real socket: both methods RabbitMQ may use, the bodies it
 * reads, health and metrics. What RabbitMQ itself does with the answers is
 * test/src/rabbitmq-auth.e2e.test.ts.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../password.js';
import { UserRegistry } from '../users.js';
import { startRabbitAuthService, type RunningRabbitAuthService } from './service.js';

let service: RunningRabbitAuthService;
const logs: string[] = [];

beforeAll(async () => {
  const cheap = { N: 1024, r: 8, p: 1 };
  const users = new UserRegistry([
    {
      username: 'a.g1',
      passwordHash: await hashPassword('g1-secret', cheap),
      role: 'gateway',
      site: 'site-a',
      gateway: 'gw-1',
    },
  ]);
  service = await startRabbitAuthService({
    users,
    port: 0,
    logger: pino({ level: 'info' }, { write: (line: string) => void logs.push(line) }),
  });
});
afterAll(() => service.close());

const ask = async (path: string, params: Record<string, string>, method: 'GET' | 'POST' = 'POST') => {
  const query = new URLSearchParams(params).toString();
  const response =
    method === 'GET'
      ? await fetch(`${service.url}${path}?${query}`)
      : await fetch(`${service.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: query,
        });
  return { status: response.status, body: await response.text() };
};

describe('the RabbitMQ HTTP auth service', () => {
  it('answers allow or deny to GET queries and POST forms alike', async () => {
    const login = { username: 'a.g1', password: 'g1-secret', vhost: '/', client_id: 'a.g1' };
    expect(await ask('/auth/user', login, 'GET')).toEqual({ status: 200, body: 'allow' });
    expect(await ask('/auth/user', login, 'POST')).toEqual({ status: 200, body: 'allow' });
    expect(await ask('/auth/user', { ...login, password: 'wrong' })).toEqual({ status: 200, body: 'deny' });
    expect(await ask('/auth/user', { ...login, vhost: 'other' })).toEqual({ status: 200, body: 'deny' });
    expect(
      await ask('/auth/vhost', { username: 'a.g1', vhost: '/', ip: '127.0.0.1', tags: '' }, 'GET'),
    ).toEqual({
      status: 200,
      body: 'allow',
    });
    const topic = {
      username: 'a.g1',
      vhost: '/',
      resource: 'topic',
      name: 'amq.topic',
      permission: 'write',
      tags: '',
      routing_key: 'wardline.v1.site-a.gw-2.obs',
      'variable_map.client_id': 'a.g1',
    };
    expect((await ask('/auth/topic', topic)).body).toBe('deny');
    expect((await ask('/auth/topic', { ...topic, routing_key: 'wardline.v1.site-a.gw-1.obs' })).body).toBe(
      'allow',
    );
    // A user RabbitMQ never logged in through us (or one since removed) has no rights.
    expect(
      (
        await ask('/auth/resource', {
          username: 'ghost',
          vhost: '/',
          resource: 'exchange',
          name: 'amq.topic',
          permission: 'write',
        })
      ).body,
    ).toBe('deny');
  });

  it('counts and logs each refusal with its code, never the password', async () => {
    await ask('/auth/user', { username: 'a.g1', password: 'a-wrong-guess', client_id: 'a.g1' });
    const health = (await (await fetch(`${service.url}/health`)).json()) as {
      refusals: { check: string; code: string; count: number }[];
    };
    expect(health.refusals).toContainEqual(expect.objectContaining({ check: 'user', code: 'BAD_PASSWORD' }));
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(
      /wardline_rabbitmq_auth_refusals_total\{check="user",code="BAD_PASSWORD"\} [1-9]/,
    );
    expect(metrics).toMatch(/wardline_rabbitmq_auth_answers_total\{check="user",answer="allow"\} [1-9]/);
    expect(logs.join('')).toContain('BAD_PASSWORD');
    expect(logs.join('')).not.toContain('a-wrong-guess');
  });

  it('refuses oversized bodies and unknown paths without asking anything', async () => {
    const big = await ask('/auth/user', { username: 'a.g1', password: 'x'.repeat(64 * 1024) });
    expect(big.status).toBe(413);
    expect((await fetch(`${service.url}/auth/other`)).status).toBe(404);
  });
});
