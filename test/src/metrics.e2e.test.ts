/**
 * What an operator's Prometheus sees. A real broker and server run on 127.0.0.1, VictoriaMetrics
 * scrapes both /metrics endpoints every second as Prometheus would, and then a nurse signs in
 * and opens the ward, a gateway sends a reading and a fall, the nurse acknowledges the fall, and
 * a nurse and a gateway with a wrong password are refused; the nurse then resolves the fall. Both endpoints are then read with a Prometheus
 * text-format parser (prom2javascript), and every query of the Grafana dashboard is run against
 * what VictoriaMetrics scraped: each panel must show data.
 */
import { RejectionCode, type AlertEvent } from '@wardline/protocol';
import type { RunningBroker } from '@wardline/broker';
import type { RunningServer } from '@wardline/server';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import {
  getMetricsFromIterator,
  type PromData,
  type PromHistogramData,
  type PromMetrics,
} from 'prom2javascript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVictoriaMetrics, type RunningEngine } from '../../server/src/testing-engines.js';
import { queryPanels, substituteGrafanaVariables } from './grafana.js';
import {
  batchPayload,
  bpReading,
  connectGatewayClient,
  signIn,
  startTestBroker,
  startTestServer,
  tempDir,
  waitUntil,
  joinWardSocket,
  type WardSocket,
} from './support.js';

const WARD_ROUTE = '/api/wards/:wardId/beds';
const ACKNOWLEDGE_ROUTE = '/api/alerts/:alertId/acknowledge';

const parsable = (text: string) => text.split('\n').filter((line) => !/ [Nn]a[Nn]$/.test(line));

async function scrape(url: string): Promise<{ contentType: string; text: string; metrics: PromMetrics }> {
  const res = await fetch(url);
  expect(res.status, url).toBe(200);
  const text = await res.text();
  return {
    contentType: res.headers.get('content-type') ?? '',
    text,
    // NaN is valid in the text format (an event-loop gauge before its first sample; VictoriaMetrics
    // scrapes it below), but this parser refuses it: such samples are left out of what is parsed.
    metrics: await getMetricsFromIterator(parsable(text).values()),
  };
}

function family(metrics: PromMetrics, name: string, type: string) {
  const found = metrics[name];
  expect(found, `metric family ${name}`).toBeDefined();
  expect(found!.type, `type of ${name}`).toBe(type);
  expect(found!.help, `help of ${name}`).not.toBe('');
  return found!;
}
const samples = (metrics: PromMetrics, name: string, type: 'counter' | 'gauge') =>
  family(metrics, name, type).data as PromData[];
const histograms = (metrics: PromMetrics, name: string) =>
  family(metrics, name, 'histogram').data as PromHistogramData[];
const value = (data: PromData[], labels: Record<string, string>) =>
  data.find((d) => Object.entries(labels).every(([k, v]) => d.labels[k] === v))?.value;

interface ScrapeTarget {
  health: string;
  lastError: string;
  lastScrape: string;
}
const scrapeTargets = async (vm: RunningEngine): Promise<ScrapeTarget[]> =>
  ((await (await fetch(`${vm.url}/api/v1/targets`)).json()) as { data: { activeTargets: ScrapeTarget[] } })
    .data.activeTargets;

/** Both targets scraped successfully by a scrape that began after `since`. */
async function scrapedAfter(vm: RunningEngine, since: number): Promise<boolean> {
  const targets = await scrapeTargets(vm);
  return targets.length === 2 && targets.every((t) => t.health === 'up' && Date.parse(t.lastScrape) > since);
}

/** Instant PromQL query against VictoriaMetrics; the result's series. */
async function query(vm: RunningEngine, promql: string): Promise<{ metric: Record<string, string> }[]> {
  const res = await fetch(`${vm.url}/api/v1/query?${new URLSearchParams({ query: promql })}`);
  const body = (await res.json()) as { status: string; error?: string; data?: { result: [] } };
  if (body.status !== 'success') throw new Error(`${promql}: ${body.error ?? res.status}`);
  return body.data!.result;
}

describe('Prometheus metrics of a running broker and server', () => {
  let broker: RunningBroker;
  let server: RunningServer;
  let vm: RunningEngine;
  let gateway: MqttClient;
  let ward: WardSocket;
  let baseUrl: string;
  /** What the test itself saw between publishing the fall and its alert reaching the ward socket. */
  let observedFallToPushSeconds: number;

  beforeAll(async () => {
    broker = await startTestBroker();
    server = await startTestServer(broker.port);
    baseUrl = `http://127.0.0.1:${server.port}`;
    await waitUntil(() => server.context.mqttConnected(), 'server MQTT sessions');

    const config = join(tempDir('promscrape'), 'scrape.yml');
    writeFileSync(
      config,
      [
        'scrape_configs:',
        '  - job_name: wardline-server',
        '    scrape_interval: 1s',
        `    static_configs: [{ targets: ['127.0.0.1:${server.port}'] }]`,
        '  - job_name: wardline-broker',
        '    scrape_interval: 1s',
        `    static_configs: [{ targets: ['127.0.0.1:${broker.healthPort}'] }]`,
        '',
      ].join('\n'),
    );
    vm = await startVictoriaMetrics([`-promscrape.config=${config}`, '-search.latencyOffset=0s']);
    // Traffic starts once both targets have been scraped, so that rates see it as an increase.
    const vmStarted = Date.now();
    await waitUntil(() => scrapedAfter(vm, vmStarted), 'first scrapes');

    const wrongPassword = await fetch(`${baseUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'nurse', password: 'not-the-password' }),
    });
    expect(wrongPassword.status).toBe(401);
    const nurse = await signIn(baseUrl, 'nurse');
    ward = await joinWardSocket(baseUrl, nurse, 'ward-e2e');
    const alerts: { at: number; event: AlertEvent }[] = [];
    ward.on('alert', (event) => alerts.push({ at: Date.now(), event }));

    await expect(connectGatewayClient(broker.port, 'site-e2e', 'gw-2', 'not-the-password')).rejects.toThrow();
    gateway = await connectGatewayClient(broker.port);
    await gateway.publishAsync('wardline/v1/site-e2e/gw-1/obs', batchPayload(bpReading()), { qos: 1 });
    const fall = {
      id: randomUUID(),
      deviceId: 'e2:00:00:00:01:01',
      kind: 'fall',
      measuredAt: new Date().toISOString(),
      seq: 1,
      values: { confidence: { value: 91, unit: '%' } },
    };
    const publishedAt = Date.now();
    await gateway.publishAsync('wardline/v1/site-e2e/gw-1/urgent', batchPayload(fall), { qos: 1 });
    const pushed = await waitUntil(
      () => alerts.find((a) => a.event.alert.condition === 'fall'),
      'the fall alert on the ward socket',
    );
    observedFallToPushSeconds = (pushed.at - publishedAt) / 1000;

    const headers = { authorization: `Bearer ${nurse}`, 'content-type': 'application/json' };
    expect((await fetch(`${baseUrl}/api/wards/ward-e2e/beds`, { headers })).status).toBe(200);
    const acknowledged = await fetch(`${baseUrl}/api/alerts/${pushed.event.alert.id}/acknowledge`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ note: 'on my way' }),
    });
    expect(acknowledged.status).toBe(200);
    const resolved = await fetch(`${baseUrl}/api/alerts/${pushed.event.alert.id}/resolve`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ note: 'no injury, back in bed' }),
    });
    expect(resolved.status).toBe(200);

    // Three scrapes of each after the traffic (VictoriaMetrics' rate() wants three samples of a new
    // series, such as the one of a route first requested), made searchable at once rather than after VictoriaMetrics' few seconds.
    const trafficDone = Date.now();
    await waitUntil(() => scrapedAfter(vm, trafficDone + 2000), 'scrapes after the traffic');
    expect((await fetch(`${vm.url}/internal/force_flush`)).ok).toBe(true);
  });

  afterAll(async () => {
    ward?.disconnect();
    await gateway?.endAsync(true);
    await vm?.destroy();
    await server?.close();
    await broker?.close();
  });

  it('server /metrics: HTTP by route pattern, sockets, alerts, fall-to-push, ingest, spool and process', async () => {
    const { contentType, text, metrics } = await scrape(`${baseUrl}/metrics`);
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);

    const http = histograms(metrics, 'wardline_http_request_duration_seconds');
    const wardBeds = http.find((h) => h.labels.route === WARD_ROUTE);
    expect(wardBeds?.labels).toEqual({ method: 'GET', route: WARD_ROUTE, status_class: '2xx' });
    expect(wardBeds?.count).toBe(1);
    expect(http.find((h) => h.labels.route === ACKNOWLEDGE_ROUTE)?.labels).toMatchObject({
      method: 'POST',
      status_class: '2xx',
    });
    // Route patterns only: no ward or alert id ever becomes a label value.
    expect(text).not.toMatch(/route="[^"]*ward-e2e/);

    const fallToPush = histograms(metrics, 'wardline_fall_to_push_seconds');
    expect(fallToPush).toHaveLength(1);
    expect(fallToPush[0]!.count).toBe(1);
    // The server's own measure of the fall, within what the test saw end to end.
    expect(fallToPush[0]!.sum).toBeGreaterThan(0);
    expect(fallToPush[0]!.sum).toBeLessThanOrEqual(observedFallToPushSeconds);
    expect(fallToPush[0]!.buckets['1']).toBe(1);

    const sockets = samples(metrics, 'wardline_socketio_connected_sockets', 'gauge');
    expect(value(sockets, { role: 'nurse' })).toBe(1);
    expect(value(sockets, { role: 'family' })).toBe(0);

    const fallAlert = { condition: 'fall', priority: 'critical' };
    expect(value(samples(metrics, 'wardline_alerts_raised_total', 'counter'), fallAlert)).toBe(1);
    expect(value(samples(metrics, 'wardline_alerts_acknowledged_total', 'counter'), fallAlert)).toBe(1);
    expect(value(samples(metrics, 'wardline_alerts_resolved_total', 'counter'), fallAlert)).toBe(1);
    family(metrics, 'wardline_alerts_escalated_total', 'counter');

    // The metrics that were there before prom-client keep their names, types and labels.
    expect(samples(metrics, 'wardline_ingest_messages_total', 'counter')[0]!.value).toBe(2);
    expect(samples(metrics, 'wardline_observations_accepted_total', 'counter')[0]!.value).toBe(2);
    family(metrics, 'wardline_observations_duplicate_total', 'counter');
    const rejections = samples(metrics, 'wardline_rejections_total', 'counter');
    expect(rejections.map((r) => r.labels.code).sort()).toEqual(Object.values(RejectionCode).sort());
    for (const name of [
      'wardline_ingest_waiting',
      'wardline_ingest_lag_seconds',
      'wardline_mqtt_connected',
    ]) {
      expect(
        samples(metrics, name, 'gauge')
          .map((s) => s.labels.session)
          .sort(),
        name,
      ).toEqual(['wardline-server', 'wardline-server-urgent']);
    }
    expect(value(samples(metrics, 'wardline_mqtt_connected', 'gauge'), { session: 'wardline-server' })).toBe(
      1,
    );
    family(metrics, 'wardline_ingest_content_failures_total', 'counter');
    family(metrics, 'wardline_mqtt_refusals_total', 'counter');
    expect(samples(metrics, 'wardline_timeseries_spooled', 'gauge')[0]!.labels).toEqual({
      adapter: 'embedded',
    });
    family(metrics, 'wardline_timeseries_written_total', 'counter');
    expect(value(samples(metrics, 'wardline_sign_ins_total', 'counter'), { outcome: 'success' })).toBe(1);
    const webRefusals = samples(metrics, 'wardline_web_refusals_total', 'counter');
    expect(value(webRefusals, { code: 'WL_BAD_CREDENTIALS' })).toBe(1);
    expect(value(samples(metrics, 'wardline_sign_ins_total', 'counter'), { outcome: 'failure' })).toBe(1);

    expect(samples(metrics, 'process_cpu_seconds_total', 'counter')[0]!.value).toBeGreaterThan(0);
    expect(samples(metrics, 'process_resident_memory_bytes', 'gauge')[0]!.value).toBeGreaterThan(0);
    family(metrics, 'nodejs_eventloop_lag_seconds', 'gauge');
  });

  it('broker /metrics on the health port: connections, refusals, messages by lane, queues and process', async () => {
    const { contentType, metrics } = await scrape(`http://127.0.0.1:${broker.healthPort}/metrics`);
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);

    const connections = samples(metrics, 'wardline_broker_connections', 'gauge');
    expect(value(connections, { role: 'server' })).toBe(2);
    expect(value(connections, { role: 'gateway' })).toBe(1);
    family(metrics, 'wardline_broker_gateway_connections_waiting', 'gauge');

    const refusals = samples(metrics, 'wardline_broker_refusals_total', 'counter');
    expect(value(refusals, { code: 'BAD_PASSWORD' })).toBe(1);
    expect(value(refusals, { code: 'PUBLISH_NOT_ALLOWED' })).toBe(0);

    const received = samples(metrics, 'wardline_broker_messages_received_total', 'counter');
    const delivered = samples(metrics, 'wardline_broker_messages_delivered_total', 'counter');
    for (const lane of ['urgent', 'routine']) {
      expect(value(received, { lane }), `received on ${lane}`).toBe(1);
      expect(value(delivered, { lane }), `delivered on ${lane}`).toBe(1);
    }
    expect(value(received, { lane: 'command' })).toBe(0);

    expect(samples(metrics, 'wardline_broker_auth_queued', 'gauge')[0]!.value).toBe(0);
    family(metrics, 'wardline_broker_auth_running', 'gauge');
    expect(samples(metrics, 'wardline_broker_throttled_clients', 'gauge')[0]!.value).toBe(0);
    expect(samples(metrics, 'wardline_broker_throttled_publishes', 'gauge')[0]!.value).toBe(0);

    expect(samples(metrics, 'process_cpu_seconds_total', 'counter')[0]!.value).toBeGreaterThan(0);
    family(metrics, 'process_resident_memory_bytes', 'gauge');
  });

  it('every panel of the Grafana dashboard has data once Prometheus-compatible storage scrapes both', async () => {
    // VictoriaMetrics parsed every scrape: no target has an error.
    expect((await scrapeTargets(vm)).map((t) => [t.health, t.lastError])).toEqual([
      ['up', ''],
      ['up', ''],
    ]);

    const empty: string[] = [];
    for (const panel of queryPanels()) {
      for (const target of panel.targets ?? []) {
        const promql = substituteGrafanaVariables(target.expr, '15s', '5m');
        if ((await query(vm, promql)).length === 0) empty.push(`${panel.title} [${target.refId}]: ${promql}`);
      }
    }
    expect(empty).toEqual([]);
  });
});
