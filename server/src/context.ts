import { defaultAlertingConfig, type AlertingConfig } from './alerts/config.js';
import { createAlerting } from './alerts/engine.js';
import { createNews2History } from './alerts/news2-history.js';
import { createBpRepository } from './clinical/bp/repository.js';
import type { SqlDatabase } from './db/engines/engine.js';
import { createLeaseRepository } from './db/leases.js';
import { createReplica } from './db/replica.js';
import { createDeadLetterRepository } from './db/dead-letter-repository.js';
import { createDeviceRepository } from './db/device-repository.js';
import { createObservationRepository } from './db/observation-repository.js';
import { createPatientRepository } from './db/patient-repository.js';
import { createPlaceRepository } from './db/place-repository.js';
import { createWardRepository } from './db/ward-repository.js';
import { createAuditLog } from './audit/audit-log.js';
import { createSignInThrottle } from './auth/sign-in-throttle.js';
import { createUserRepository } from './auth/user-repository.js';
import { createAccounts } from './staff/accounts.js';
import type { AccountsConfig } from './staff/accounts-config.js';
import { createIngestMetrics } from './ingest/metrics.js';
import { createServerMetrics } from './metrics/server-metrics.js';
import { createBedChanges } from './realtime/bed-changes.js';
import { createWebMetrics } from './web/metrics.js';
import { createEmbeddedStore } from './timeseries/embedded-store.js';
import type { TimeSeriesStore } from './timeseries/store.js';

/** Everything route plugins share, created once per server and registered on the app. */
export function createContext(
  sql: SqlDatabase,
  options: { alerting?: AlertingConfig; accounts?: AccountsConfig } = {},
) {
  const serverMetrics = createServerMetrics();
  const replica = createReplica(createLeaseRepository(sql), { alone: sql.dialect.name === 'sqlite' });
  const context = {
    /** The records, in SQLite or PostgreSQL: every repository below queries through it. */
    sql,
    /** This process among the server replicas: which of the once-only jobs it leads. */
    replica,
    wards: createWardRepository(sql),
    /** Sites, wards and beds of organisations, managed live. */
    places: createPlaceRepository(sql),
    /** Patients' identifiers, admissions and search. */
    patients: createPatientRepository(sql),
    devices: createDeviceRepository(sql),
    observations: createObservationRepository(sql),
    deadLetters: createDeadLetterRepository(sql),
    users: createUserRepository(sql, options.accounts?.sessions),
    /** Organisations, one-time links, TOTP secrets and the invitation mailer. */
    accounts: createAccounts(sql, {
      ...options.accounts,
      smtp: options.accounts?.smtp ?? options.alerting?.smtp ?? null,
    }),
    signInThrottle: createSignInThrottle(sql),
    /** The append-only record of who saw and changed what. */
    audit: createAuditLog(sql),
    metrics: createIngestMetrics(),
    /** Refused web requests and sign-in outcomes. */
    webMetrics: createWebMetrics(),
    /** HTTP latency, sockets, the alert lifecycle, fall-to-push latency, the time-series spool. */
    serverMetrics,
    startedAt: Date.now(),
    mqttConnected: (): boolean => false,
    bedChanges: createBedChanges(),
    /** Clinical alerting: rules, the alert lifecycle, escalation timers and notifications. */
    alerting: createAlerting({
      sql,
      leads: replica.leads,
      config: options.alerting ?? defaultAlertingConfig(),
      metrics: serverMetrics.alerts,
    }),
    /** Each change of a patient's NEWS2, recorded after readings are stored. */
    news2History: createNews2History(sql),
    /** Blood-pressure treatment status and postural tests (the beds' falls-risk flags). */
    bp: createBpRepository(sql),
    /** History and trends; the embedded store unless InfluxDB is configured. */
    timeSeries: createEmbeddedStore(sql) as TimeSeriesStore,
  };
  serverMetrics.readTimeSeries(() => context.timeSeries.health());
  return context;
}
export type ServerContext = ReturnType<typeof createContext>;
