import { SERVER_SUBSCRIPTIONS, SERVER_URGENT_SUBSCRIPTIONS } from '@wardline/protocol';
import type { ScryptCost } from '@wardline/broker';
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { buildApp } from './app.js';
import { AUDIT_DEFAULT_RETENTION_DAYS, scheduleAuditRetention } from './audit/retention.js';
import type { ServerConfig } from './config.js';
import { createContext, type ServerContext } from './context.js';
import { openSqlDatabase } from './db/engines/open.js';
import {
  ensureDemoKits,
  seedDemo,
  setDemoPasswords,
  type DemoPasswords,
  type SeedWard,
} from './demo/seed.js';
import { createIngest } from './ingest/ingest.js';
import { scoreAfterStore } from './ingest/after-store.js';
import { startSubscriber } from './mqtt/subscriber.js';
import { startAmqpConsumer } from './amqp/consumer.js';
import { deadLetterStore } from './amqp/dead-letters.js';
import { DEAD_LETTER_QUEUE, READINGS_QUEUE, URGENT_QUEUE } from './amqp/topology.js';
import { createDurableStore, type DurableStore } from './ingest/durable-store.js';
import type { IngestOutcome } from './ingest/ingest.js';
import { attachRealtime } from './realtime/hub.js';
import { replicaAdapter } from './realtime/replicas.js';
import { startTimeSeries } from './timeseries/index.js';

export interface RunningServer {
  app: FastifyInstance;
  context: ServerContext;
  /** The port actually bound (useful with port 0). */
  port: number;
  close(): Promise<void>;
}

export interface StartOptions {
  config: ServerConfig;
  logger?: FastifyServerOptions['logger'];
  /** One password (tests) or each demo user's own. */
  demo?: {
    fleet: SeedWard[];
    password: string | DemoPasswords;
    scryptCost?: ScryptCost;
    /** The demo gateways' passwords by user name (`site.gateway`): their kits' credentials. */
    gatewaySecrets?: Record<string, string>;
  };
}

/** Opens storage, seeds demo data on an empty database, serves HTTP + socket.io, consumes MQTT. */
export async function startServer(options: StartOptions): Promise<RunningServer> {
  const { config } = options;
  // Errors of idle PostgreSQL connections (a restart, a dropped network) arrive before the logger
  // exists; the pool replaces the connections and the next query reports a failure itself.
  let connectionError = (_error: Error): void => undefined;
  const sql = await openSqlDatabase(config.databaseUrl ?? config.databasePath, {
    onConnectionError: (error) => connectionError(error),
  });
  const context = createContext(sql, {
    ...(config.alerting ? { alerting: config.alerting } : {}),
    ...(config.accounts ? { accounts: config.accounts } : {}),
  });
  if (options.demo && (await context.wards.isEmpty())) {
    await seedDemo(context, options.demo.fleet, options.demo.password, options.demo.scryptCost);
  } else if (options.demo) {
    await setDemoPasswords(context, options.demo.password, options.demo.scryptCost);
  }
  const demoKits = options.demo
    ? await ensureDemoKits(context, options.demo.fleet, options.demo.gatewaySecrets)
    : null;
  const app = await buildApp({
    context,
    dashboardDir: config.dashboardDir,
    secureCookies: config.secureCookies,
    trustProxyHops: config.trustProxyHops ?? 0,
    oidcProviders: config.oidcProviders ?? [],
    demo: options.demo !== undefined,
    // Gateways reach the broker the server uses unless told otherwise.
    kits: { ...(config.mqtt ? { gatewayMqttUrl: config.mqtt.url } : {}), ...config.kits },
    publicUrl: () => config.publicUrl ?? `http://127.0.0.1:${boundPort()}`,
    logger: options.logger ?? { level: config.logLevel },
  });
  connectionError = (error) =>
    app.log.warn(
      { component: 'db', err: error },
      'a connection to PostgreSQL failed; the pool opens another',
    );
  if (demoKits && (demoKits.registered > 0 || demoKits.credentialsSet > 0))
    app.log.info(demoKits, 'demo gateway kits registered or their credentials set');
  const boundPort = () => {
    const bound = app.server.address();
    return typeof bound === 'object' && bound ? bound.port : config.port;
  };
  const timeSeries = startTimeSeries(context, config, app.log.child({ component: 'timeseries' }));
  const stopAuditRetention = scheduleAuditRetention(
    context.audit,
    config.auditRetentionDays ?? AUDIT_DEFAULT_RETENTION_DAYS,
    app.log.child({ component: 'audit' }),
    undefined,
    context.replica.leads,
  );
  const hub = attachRealtime(app, replicaAdapter(sql, app.log));
  context.alerting.attach(hub, app.log.child({ component: 'alerts' }));
  await app.listen({ host: config.host, port: config.port });

  const subscribers: { readonly connected: boolean; close(): Promise<void> }[] = [];
  if (config.mqtt) {
    const ingest = createIngest({
      sql: context.sql,
      observations: context.observations,
      devices: context.devices,
      deadLetters: context.deadLetters,
      metrics: context.metrics,
      log: app.log.child({ component: 'ingest' }),
      spool: timeSeries.spool,
      afterStore: scoreAfterStore(
        context.alerting,
        context.news2History,
        app.log.child({ component: 'ingest' }),
      ),
    });
    const mqttConfig = config.mqtt;
    const ca = mqttConfig.caPath ? readFileSync(mqttConfig.caPath) : undefined;
    const sources = {
      ingest,
      log: app.log.child({ component: 'mqtt' }),
      onOutcomes: (outcomes: readonly IngestOutcome[]) => hub.broadcastGroup(outcomes),
      onOutcome: (outcome: IngestOutcome) => context.alerting.publish(outcome),
    };
    if (mqttConfig.amqpUrls) {
      // RabbitMQ: competing consumers of its quorum queues, urgent on a connection of its own.
      const log = app.log.child({ component: 'amqp' });
      const consumer = (queue: string, prefetch: number, store?: DurableStore) => {
        const monitor = context.metrics.monitor.session(queue);
        return startAmqpConsumer({
          urls: rotated(mqttConfig.amqpUrls!, mqttConfig.clientId),
          username: mqttConfig.username,
          password: mqttConfig.password,
          ...(ca ? { ca } : {}),
          queue,
          prefetch,
          log,
          monitor,
          store: store ?? createDurableStore({ ...sources, log, monitor }),
        });
      };
      subscribers.push(
        consumer(READINGS_QUEUE, 400),
        consumer(URGENT_QUEUE, 50),
        consumer(DEAD_LETTER_QUEUE, 10, deadLetterStore(ingest, log)),
      );
    } else {
      const session = (clientId: string, subscriptions: string[]) =>
        startSubscriber({
          ...mqttConfig,
          ...(ca ? { ca } : {}),
          clientId,
          subscriptions,
          ...sources,
          monitor: context.metrics.monitor.session(clientId),
        });
      // Two persistent sessions: falls and help calls have their own, so that they never wait
      // behind a backlog of routine readings queued for the main one.
      subscribers.push(
        session(config.mqtt.clientId, SERVER_SUBSCRIPTIONS),
        session(`${config.mqtt.clientId}-urgent`, SERVER_URGENT_SUBSCRIPTIONS),
      );
    }
    context.mqttConnected = () => subscribers.every((s) => s.connected);
  }

  // Resumes persisted escalation timers and pending notifications.
  await context.alerting.start();

  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  return {
    app,
    context,
    port,
    async close() {
      stopAuditRetention();
      await Promise.all(subscribers.map((s) => s.close()));
      await context.alerting.stop();
      await hub.close();
      await app.close();
      await timeSeries.close();
      await context.replica
        .release()
        .catch((err: Error) =>
          app.log.warn({ component: 'db', err: err.message }, 'leases not given up; they lapse on their own'),
        );
      await sql.close();
    },
  };
}

/**
 * The node list starting at a place of this replica's own (its client id decides), so that replicas
 * spread over the nodes instead of all piling onto the first.
 */
function rotated(urls: readonly string[], replicaId: string): string[] {
  let h = 0;
  for (const c of replicaId) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  const start = h % urls.length;
  return [...urls.slice(start), ...urls.slice(0, start)];
}
