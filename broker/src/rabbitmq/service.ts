/**
 * RabbitMQ's HTTP auth backend (rabbitmq_auth_backend_http, 3.10) answered by Wardline, so that
 * gateways on RabbitMQ are admitted and confined by the same users file, the same replicated kit
 * credentials and the same rules as on the aedes broker.
 *
 * RabbitMQ asks (GET with a query, or POST with a form body, as auth_http.http_method says):
 *   POST|GET /auth/user      username, password, and for MQTT vhost and client_id
 *   POST|GET /auth/vhost     username, vhost, ip, tags (+ client_id for MQTT)
 *   POST|GET /auth/resource  username, vhost, resource (exchange|queue), name, permission
 *                            (configure|write|read), tags (+ client_id for MQTT)
 *   POST|GET /auth/topic     username, vhost, resource=topic, name (the exchange), permission
 *                            (write|read), routing_key, variable_map.{username,vhost,client_id}
 * and reads a 200 body of `allow` (followed by tags, for /auth/user) or `deny`. Observed on 3.10.8:
 * each login is asked twice (authentication, then authorization, both through the cache backend);
 * every `deny` of a login becomes CONNACK 4, AUTH_BUSY and AUTH_BACKOFF included (the aedes broker
 * sends 3 for those), so gateways must retry on 4 (reconnectOnConnackError, as they do); a `deny`
 * of a topic closes the MQTT connection, before the PUBACK or SUBACK.
 * GET /health and GET /metrics are for operators.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { Authenticator, DEFAULT_AUTH_LIMITS, type AuthLimits, type AuthStats } from '../authenticator.js';
import type { CredentialReplica, ReplicaStatus } from '../credential-replica.js';
import { identityOf, type Identity } from '../policy.js';
import type { UserDirectory } from '../users.js';
import { RabbitRefusalCode } from './codes.js';
import {
  decideLogin,
  decideResource,
  decideTopic,
  decideVhost,
  PERMISSIONS,
  type Permission,
  type RabbitDecision,
} from './decide.js';
import { createRabbitAuthMetrics } from './metrics.js';
import { RabbitRefusals, type RabbitCheck } from './refusals.js';

export const DEFAULT_RABBIT_AUTH_HOST = '127.0.0.1';
export const DEFAULT_RABBIT_AUTH_PORT = 8886;
export const DEFAULT_VHOST = '/';
export const DEFAULT_EXCHANGE = 'amq.topic';
/** RabbitMQ's questions are a few short fields; anything longer is not RabbitMQ. */
const MAX_BODY_BYTES = 16 * 1024;

export interface RabbitAuthServiceOptions {
  users: UserDirectory;
  /** The replica among `users`, for health and metrics. */
  credentials?: CredentialReplica;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  vhost?: string;
  /** mqtt.exchange in rabbitmq.conf. */
  exchange?: string;
  auth?: Partial<AuthLimits>;
  logger: Logger;
}

export interface RabbitAuthHealth {
  status: 'ok';
  auth: AuthStats;
  credentials: ReplicaStatus | null;
  refusals: ReturnType<RabbitRefusals['counts']>;
  uptimeSeconds: number;
}

export interface RunningRabbitAuthService {
  readonly host: string;
  readonly port: number;
  /** http://host:port, the base of the four auth_http paths. */
  readonly url: string;
  health(): RabbitAuthHealth;
  close(): Promise<void>;
}

type Answer = 'allow' | 'deny';
type Params = URLSearchParams;

export async function startRabbitAuthService(
  options: RabbitAuthServiceOptions,
): Promise<RunningRabbitAuthService> {
  const vhost = options.vhost ?? DEFAULT_VHOST;
  const exchange = options.exchange ?? DEFAULT_EXCHANGE;
  const { users, logger } = options;
  const authenticator = new Authenticator(users, { ...DEFAULT_AUTH_LIMITS, ...options.auth });
  const refusals = new RabbitRefusals(logger);
  const startedAt = Date.now();
  const health = (): RabbitAuthHealth => ({
    status: 'ok',
    auth: authenticator.stats(),
    credentials: options.credentials?.status() ?? null,
    refusals: refusals.counts(),
    uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
  });
  const metrics = createRabbitAuthMetrics({
    auth: () => authenticator.stats(),
    refusals: () => refusals.counts(),
    ...(options.credentials ? { credentials: () => options.credentials!.status() } : {}),
  });

  const refuse = (
    check: RabbitCheck,
    params: Params,
    decision: RabbitDecision,
    identity?: Identity,
    subject?: string,
  ) => {
    if (decision.allowed) return 'allow' as const;
    refusals.record({
      check,
      code: decision.code,
      username: params.get('username') ?? undefined,
      identity,
      clientId: params.get('client_id') ?? params.get('variable_map.client_id') ?? undefined,
      subject,
    });
    return 'deny' as const;
  };

  /** Who an authorization question is about; RabbitMQ asks only after a login we allowed. */
  const identityFor = (params: Params): Identity | undefined => {
    const username = params.get('username');
    const user = username === null ? undefined : users.find(username);
    return user === undefined ? undefined : identityOf(user);
  };
  const notAuthenticated = { allowed: false, code: RabbitRefusalCode.notAuthenticated } as const;
  const badRequest = { allowed: false, code: RabbitRefusalCode.badRequest } as const;

  const checks: Record<RabbitCheck, (params: Params) => Answer | Promise<Answer>> = {
    async user(params) {
      const username = params.get('username');
      const password = params.get('password');
      if (username === null || password === null) return refuse('user', params, badRequest);
      // RabbitMQ 3.10 does not send the client's address with this question: failures back off
      // per user name instead (an address shared by all would let one gateway lock out the rest).
      const outcome = await authenticator.authenticate(
        username,
        Buffer.from(password, 'utf8'),
        `user:${username}`,
      );
      if (!outcome.allowed) return refuse('user', params, outcome);
      const asked = params.get('vhost');
      if (asked !== null) {
        const decision = decideVhost(asked, vhost);
        if (!decision.allowed) return refuse('user', params, decision, outcome.identity, asked);
      }
      const clientId = params.get('client_id') ?? undefined;
      // No tags: neither gateways nor the server may use the management UI or API.
      return refuse('user', params, decideLogin(outcome.identity, clientId), outcome.identity);
    },
    vhost(params) {
      const identity = identityFor(params);
      const asked = params.get('vhost') ?? '';
      if (identity === undefined) return refuse('vhost', params, notAuthenticated, undefined, asked);
      return refuse('vhost', params, decideVhost(asked, vhost), identity, asked);
    },
    resource(params) {
      const identity = identityFor(params);
      const kind = params.get('resource') ?? '';
      const name = params.get('name') ?? '';
      const permission = permissionOf(params);
      const subject = `${kind} ${name} (${permission ?? params.get('permission')})`;
      if (identity === undefined) return refuse('resource', params, notAuthenticated, undefined, subject);
      if (permission === undefined || params.get('vhost') !== vhost) {
        return refuse(
          'resource',
          params,
          permission === undefined ? badRequest : { allowed: false, code: RabbitRefusalCode.vhostNotAllowed },
          identity,
          subject,
        );
      }
      return refuse(
        'resource',
        params,
        decideResource(identity, { kind, name, permission }, exchange),
        identity,
        subject,
      );
    },
    topic(params) {
      const identity = identityFor(params);
      const routingKey = params.get('routing_key');
      const permission = permissionOf(params);
      const subject = `${params.get('name') ?? ''} ${routingKey ?? ''} (${permission ?? params.get('permission')})`;
      if (identity === undefined) return refuse('topic', params, notAuthenticated, undefined, subject);
      if (routingKey === null || permission === undefined)
        return refuse('topic', params, badRequest, identity, subject);
      if (params.get('vhost') !== vhost) {
        return refuse(
          'topic',
          params,
          { allowed: false, code: RabbitRefusalCode.vhostNotAllowed },
          identity,
          subject,
        );
      }
      const question = {
        exchange: params.get('name') ?? '',
        permission,
        routingKey,
        clientId: params.get('variable_map.client_id') ?? undefined,
      };
      return refuse('topic', params, decideTopic(identity, question, exchange), identity, subject);
    },
  };

  const server: Server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      logger.error({ err: error }, 'RabbitMQ auth request failed');
      // Not a 200: RabbitMQ takes the question as failed and refuses.
      if (!response.headersSent) response.writeHead(500).end();
    });
  });
  // RabbitMQ keeps its connections to the backend open between questions.
  server.keepAliveTimeout = 60_000;

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://auth');
    const check = checkOf(url.pathname);
    if (check === undefined) {
      if (request.method !== 'GET' && request.method !== 'HEAD') return void response.writeHead(405).end();
      if (url.pathname === '/health') return sendJson(response, 200, health());
      if (url.pathname === '/metrics') {
        const { contentType, body } = await metrics.exposition();
        return void response
          .writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' })
          .end(body);
      }
      return sendJson(response, 404, { error: 'not found' });
    }
    let params: Params;
    if (request.method === 'GET') params = url.searchParams;
    else if (request.method === 'POST') {
      const body = await readBody(request);
      if (body === null) return void response.writeHead(413, { connection: 'close' }).end();
      params = new URLSearchParams(body);
    } else return void response.writeHead(405, { allow: 'GET, POST' }).end();
    const answer = await checks[check](params);
    metrics.answered(check, answer);
    response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    response.end(answer);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_RABBIT_AUTH_PORT, options.host ?? DEFAULT_RABBIT_AUTH_HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.address;
  return {
    host,
    port: address.port,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`,
    health,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function checkOf(pathname: string): RabbitCheck | undefined {
  switch (pathname) {
    case '/auth/user':
      return 'user';
    case '/auth/vhost':
      return 'vhost';
    case '/auth/resource':
      return 'resource';
    case '/auth/topic':
      return 'topic';
    default:
      return undefined;
  }
}

function permissionOf(params: Params): Permission | undefined {
  const permission = params.get('permission');
  return PERMISSIONS.find((p) => p === permission);
}

/** The body as text, or null once it exceeds MAX_BODY_BYTES. */
async function readBody(request: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  });
  response.end(JSON.stringify(body));
}
