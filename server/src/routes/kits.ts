import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  IssueKitRequest,
  PROVISIONING_FORMAT,
  RegisterKitRequest,
  RotateKitRequest,
  type BrokerCredentialFeed,
  type Kit,
  type KitCredentialsResponse,
  type KitPage,
} from '@wardline/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { ROLES, organisationOf } from '../auth/access.js';
import { requireRole } from '../auth/plugin.js';
import { Errors } from '../errors.js';
import { createBrokerFeed, tokenMatches } from '../kits/broker-feed.js';
import { createKitRepository, type IssuedSecret } from '../kits/kit-repository.js';

export interface KitRouteOptions {
  /** Where gateways reach the broker, written into provisioning files; absent: mqtt://127.0.0.1:1883. */
  gatewayMqttUrl?: string;
  /** Several brokers for gateways to fail over between, in order (`mqttUrls`); its first is the mqttUrl. */
  gatewayMqttUrls?: string[];
  /** The broker's bearer token for the credentials feed; without it the feed answers 401 to everyone. */
  brokerSyncToken?: string | null;
}

export const DEFAULT_GATEWAY_MQTT_URL = 'mqtt://127.0.0.1:1883';

const KitParams = Type.Object({ kitId: Type.String({ minLength: 1, maxLength: 128 }) });
const FeedQuery = Type.Object({ since: Type.Integer({ minimum: 0, default: 0 }) });

export async function kitRoutes(fastify: FastifyInstance, options: KitRouteOptions) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { sql, devices, audit } = app.wardline;
  const kits = createKitRepository(sql, devices);
  const feed = createBrokerFeed(sql);
  const mqttUrls = options.gatewayMqttUrls?.length ? options.gatewayMqttUrls : undefined;
  const mqttUrl = mqttUrls?.[0] ?? options.gatewayMqttUrl ?? DEFAULT_GATEWAY_MQTT_URL;
  const admin = requireRole(...ROLES.admin);
  const clinicalLead = requireRole(...ROLES.clinicalLead);

  const credentials = (issued: IssuedSecret): KitCredentialsResponse => ({
    kit: issued.kit,
    provisioning: {
      format: PROVISIONING_FORMAT,
      mqttUrl,
      ...(mqttUrls ? { mqttUrls } : {}),
      username: issued.kit.username,
      password: issued.secret,
      site: issued.kit.siteCode,
      gateway: issued.kit.gatewayCode,
      devices: issued.kit.devices,
      issuedAt: new Date().toISOString(),
    },
  });
  const record = (request: FastifyRequest, action: string, kit: Kit, extra: Record<string, unknown> = {}) =>
    audit.record(request, {
      action,
      targetType: 'kit',
      targetId: kit.id,
      patientId: (extra.patientId as string | null | undefined) ?? kit.patientId,
      detail: { username: kit.username, ...extra },
    });

  app.post(
    '/api/kits',
    { onRequest: admin, schema: { body: RegisterKitRequest } },
    async (request, reply): Promise<KitCredentialsResponse> => {
      const issued = await kits.register(organisationOf(request), request.body, request.user!.username);
      await record(request, 'kit.register', issued.kit, { devices: issued.kit.devices.map((d) => d.id) });
      reply.code(201).header('cache-control', 'no-store');
      return credentials(issued);
    },
  );

  app.get('/api/kits', { onRequest: clinicalLead }, async (request): Promise<Kit[]> =>
    kits.list(organisationOf(request)),
  );

  app.get(
    '/api/kits/:kitId',
    { onRequest: clinicalLead, schema: { params: KitParams } },
    async (request): Promise<KitPage> => {
      const page = await kits.page(organisationOf(request), request.params.kitId);
      await record(request, 'kit.view', page.kit);
      return page;
    },
  );

  app.post(
    '/api/kits/:kitId/rotate',
    { onRequest: admin, schema: { params: KitParams, body: RotateKitRequest } },
    async (request, reply): Promise<KitCredentialsResponse> => {
      const { overlapMinutes } = request.body;
      const issued = await kits.rotate(
        organisationOf(request),
        request.params.kitId,
        overlapMinutes,
        request.user!.username,
      );
      await record(request, 'kit.rotate', issued.kit, { overlapMinutes });
      reply.header('cache-control', 'no-store');
      return credentials(issued);
    },
  );

  app.post(
    '/api/kits/:kitId/revoke',
    { onRequest: admin, schema: { params: KitParams } },
    async (request): Promise<Kit> => {
      const kit = await kits.revoke(organisationOf(request), request.params.kitId, request.user!.username);
      await record(request, 'kit.revoke', kit);
      return kit;
    },
  );

  app.post(
    '/api/kits/:kitId/issue',
    { onRequest: clinicalLead, schema: { params: KitParams, body: IssueKitRequest } },
    async (request): Promise<Kit> => {
      const { kit, previousPatientId } = await kits.issue(
        organisationOf(request),
        request.params.kitId,
        request.body.patientId,
        request.user!.username,
      );
      if (previousPatientId !== null)
        await record(request, 'kit.return', kit, { patientId: previousPatientId, reissued: true });
      await record(request, 'kit.issue', kit, { patientId: request.body.patientId });
      return kit;
    },
  );

  app.post(
    '/api/kits/:kitId/return',
    { onRequest: clinicalLead, schema: { params: KitParams } },
    async (request): Promise<Kit> => {
      const { kit, patientId } = await kits.returnKit(
        organisationOf(request),
        request.params.kitId,
        request.user!.username,
      );
      await record(request, 'kit.return', kit, { patientId });
      return kit;
    },
  );

  // The broker's replica of gateway credentials (broker/src/credential-replica.ts). Not a user's
  // route: a bearer token shared with the broker, checked before anything else; without a token
  // configured nobody is let in.
  const broker = async (request: FastifyRequest): Promise<void> => {
    const expected = options.brokerSyncToken;
    const header = request.headers.authorization;
    const presented = header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : undefined;
    if (!expected || !tokenMatches(presented, expected)) throw new Errors.unauthenticated();
  };
  app.get(
    '/api/internal/broker/credentials',
    { onRequest: broker, schema: { querystring: FeedQuery } },
    async (request, reply): Promise<BrokerCredentialFeed> => {
      reply.header('cache-control', 'no-store');
      return feed.since(request.query.since);
    },
  );
}
