import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import fp from 'fastify-plugin';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { authPlugin } from './auth/plugin.js';
import type { ServerContext } from './context.js';
import { alertRoutes } from './routes/alerts.js';
import { adminRoutes } from './routes/admin.js';
import { auditRoutes } from './routes/audit.js';
import { bpRoutes } from './routes/bp.js';
import { importRoutes } from './routes/import.js';
import { authRoutes } from './routes/auth.js';
import { organisationRoutes } from './routes/organisations.js';
import { staffRoutes } from './routes/staff.js';
import { oidcRoutes } from './routes/oidc.js';
import type { OidcProviderConfig } from './auth/oidc/config.js';
import { deadLetterRoutes } from './routes/dead-letters.js';
import { deviceRoutes } from './routes/devices.js';
import { fhirRoutes } from './routes/fhir.js';
import { httpMetrics } from './metrics/http.js';
import { healthRoutes } from './routes/health.js';
import { kitRoutes, type KitRouteOptions } from './routes/kits.js';
import { historyRoutes } from './routes/history.js';
import { patientRoutes } from './routes/patients.js';
import { placeRoutes } from './routes/places.js';
import { wardRoutes } from './routes/wards.js';
import { news2HistoryRoutes } from './routes/news2-history.js';
import { dashboardFiles, isAssetPath } from './web/dashboard-files.js';
import { errorReplies, sendNotFound } from './web/error-reply.js';
import { closeDrained } from './web/close-drained.js';
import { RequestLog } from './web/request-log.js';
import { webSecurity } from './web/security.js';

declare module 'fastify' {
  interface FastifyInstance {
    wardline: ServerContext;
  }
}

export interface AppOptions {
  context: ServerContext;
  dashboardDir?: string;
  secureCookies?: boolean;
  /**
   * Where browsers reach the server: the only Origin accepted on state-changing requests, and the
   * base of links it hands out. A function when the port is known only after listening.
   */
  publicUrl?: string | (() => string);
  /** How many reverse proxies' X-Forwarded-For to believe for the client address (0: none). */
  trustProxyHops?: number;
  logger?: FastifyServerOptions['logger'];
  /** Provisioning files' broker URL and the broker's credentials-feed token; absent: loopback, no feed. */
  kits?: KitRouteOptions;
  /** Single sign-on providers (OpenID Connect); none: local accounts only. */
  oidcProviders?: OidcProviderConfig[];
  /**
   * The data is the demo's (`npm start`): the session answer says so and the dashboard labels
   * every screen as simulated. Presentation only; nothing else behaves differently.
   */
  demo?: boolean;
}

/** Builds the HTTP app: every concern is a plugin; shared clients are registered once. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    logController: new RequestLog(),
    bodyLimit: 64 * 1024,
    // Believes X-Forwarded-For for that many hops; none by default (request.ip is the socket's).
    trustProxy: (_address: string, hop: number) => hop < (options.trustProxyHops ?? 0),
  });
  // Before any route: routes take the error handler in force when they are registered.
  await app.register(errorReplies);
  await app.register(closeDrained);

  await app.register(
    fp(
      async (instance) => {
        instance.decorate('wardline', options.context);
      },
      { name: 'wardline-context' },
    ),
  );
  await app.register(httpMetrics);
  await app.register(authPlugin);
  const publicUrl = options.publicUrl ?? 'http://127.0.0.1';
  await app.register(webSecurity, {
    publicUrl: typeof publicUrl === 'function' ? publicUrl : () => publicUrl,
  });
  await app.register(healthRoutes);
  await app.register(authRoutes, {
    secureCookies: options.secureCookies ?? false,
    demo: options.demo ?? false,
  });
  await app.register(oidcRoutes, {
    providers: options.oidcProviders ?? [],
    secureCookies: options.secureCookies ?? false,
  });
  await app.register(adminRoutes);
  await app.register(organisationRoutes);
  await app.register(staffRoutes);
  await app.register(wardRoutes);
  await app.register(placeRoutes);
  await app.register(patientRoutes);
  await app.register(deviceRoutes);
  await app.register(kitRoutes, options.kits ?? {});
  await app.register(deadLetterRoutes);
  await app.register(alertRoutes);
  await app.register(news2HistoryRoutes);
  await app.register(historyRoutes);
  await app.register(bpRoutes);
  await app.register(fhirRoutes);
  await app.register(auditRoutes);
  await app.register(importRoutes);

  const dashboardDir = options.dashboardDir;
  if (dashboardDir && existsSync(join(dashboardDir, 'index.html'))) {
    await app.register(fastifyStatic, dashboardFiles(dashboardDir));
    // Client-side routes: any non-API GET serves the single-page app (a missing asset does not).
    app.setNotFoundHandler((request, reply) => {
      const path = request.url.split('?')[0]!;
      if (
        request.method === 'GET' &&
        !/^\/(api|fhir)\//.test(path) &&
        !isAssetPath(path) &&
        !path.endsWith('.map')
      )
        return reply.sendFile('index.html');
      return sendNotFound(request, reply);
    });
  } else {
    app.setNotFoundHandler(sendNotFound);
    app.get('/', async (_request, reply) => {
      reply.type('text/plain');
      return 'Wardline server is running, but the dashboard is not built: run `npm run build:dashboard`.\n';
    });
  }
  return app;
}
