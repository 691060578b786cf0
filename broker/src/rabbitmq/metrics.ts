import { Counter, Gauge, Registry } from 'prom-client';
import type { AuthStats } from '../authenticator.js';
import { processRegistry } from '../metrics.js';
import type { ReplicaStatus } from '../credential-replica.js';
import type { RabbitCheck } from './refusals.js';

export interface RabbitAuthMetricSources {
  auth(): AuthStats;
  refusals(): { check: RabbitCheck; code: string; count: number }[];
  credentials?(): ReplicaStatus;
}

const CHECKS: readonly RabbitCheck[] = ['user', 'vhost', 'resource', 'topic'];
/** Prometheus metrics of the RabbitMQ auth service, served at GET /metrics. */
export function createRabbitAuthMetrics(sources: RabbitAuthMetricSources) {
  const process = processRegistry();
  const registry = new Registry();
  const registers = [registry];
  const answers = new Counter({
    name: 'wardline_rabbitmq_auth_answers_total',
    help: "RabbitMQ's auth questions answered, by check (user, vhost, resource, topic) and answer (allow, deny).",
    labelNames: ['check', 'answer'] as const,
    registers,
  });
  for (const check of CHECKS) for (const answer of ['allow', 'deny']) answers.inc({ check, answer }, 0);
  new Counter({
    name: 'wardline_rabbitmq_auth_refusals_total',
    help: 'Questions answered deny, by check and refusal code.',
    labelNames: ['check', 'code'] as const,
    registers,
    collect() {
      this.reset();
      for (const { check, code, count } of sources.refusals()) this.inc({ check, code }, count);
    },
  });
  const gauge = (name: string, help: string, value: () => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(value());
      },
    });
  gauge('wardline_rabbitmq_auth_running', 'Password checks running now.', () => sources.auth().hashing);
  gauge('wardline_rabbitmq_auth_queued', 'Password checks waiting for a slot.', () => sources.auth().queued);
  gauge(
    'wardline_rabbitmq_auth_backoff_users',
    'User names refused unchecked for now after repeated failed logins.',
    () => sources.auth().backoffAddresses,
  );
  if (sources.credentials) {
    const replica = sources.credentials;
    gauge(
      'wardline_rabbitmq_auth_credentials_version',
      "The version of the server's kit credentials feed held.",
      () => replica().version,
    );
    gauge(
      'wardline_rabbitmq_auth_credentials_stale',
      'Whether the kit credentials replica has not synced for too long (1) or is current (0).',
      () => (replica().stale ? 1 : 0),
    );
  }
  return {
    answered(check: RabbitCheck, answer: 'allow' | 'deny'): void {
      answers.inc({ check, answer });
    },
    async exposition(): Promise<{ contentType: string; body: string }> {
      const merged = Registry.merge([registry, process]);
      return { contentType: merged.contentType, body: await merged.metrics() };
    },
  };
}
