/**
 * docs/grafana/wardline.json is what an operator imports into Grafana: it must be valid JSON with
 * a data-source variable (so it works with whatever their Prometheus is called), every panel
 * reading through that variable, and the panels the runbook talks about. Whether each panel's
 * query has data against the real /metrics endpoints is checked in metrics.e2e.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { loadDashboard, queryPanels } from './grafana.js';

describe('Grafana dashboard', () => {
  it('is valid JSON with a Prometheus data-source variable that every query goes through', () => {
    const dashboard = loadDashboard();
    expect(dashboard.uid).toBe('wardline-overview');
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }),
    );
    for (const panel of queryPanels()) {
      expect(panel.datasource?.uid, panel.title).toBe('${datasource}');
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) {
        expect(target.datasource?.uid ?? '${datasource}', panel.title).toBe('${datasource}');
        expect(target.expr.trim(), panel.title).not.toBe('');
      }
      const refIds = (panel.targets ?? []).map((t) => t.refId);
      expect(new Set(refIds).size, panel.title).toBe(refIds.length);
    }
  });

  it('has the panels operators need, each reading the metric it is about', () => {
    const byTitle = new Map(queryPanels().map((p) => [p.title, p.targets!.map((t) => t.expr).join('\n')]));
    const expected: Record<string, RegExp> = {
      'Ingest rate': /rate\(wardline_ingest_messages_total\[/,
      'Rejections by code': /by \(code\).*wardline_rejections_total/,
      'Ingest lag by session': /wardline_ingest_lag_seconds/,
      'Fall to push p99': /histogram_quantile\(0\.99, .*wardline_fall_to_push_seconds_bucket/,
      'HTTP latency p95 by route':
        /histogram_quantile\(0\.95, sum by \(le, route\).*wardline_http_request_duration_seconds_bucket/,
      'Connected sockets by role': /by \(role\) \(wardline_socketio_connected_sockets\)/,
      'Alerts raised by priority': /by \(priority\).*wardline_alerts_raised_total/,
      'Broker connections by role': /by \(role\) \(wardline_broker_connections\)/,
      'Broker refusals by code': /by \(code\).*wardline_broker_refusals_total/,
      'Process CPU': /rate\(process_cpu_seconds_total\[/,
      'Process memory': /process_resident_memory_bytes/,
    };
    for (const [title, query] of Object.entries(expected)) {
      expect(byTitle.get(title), `panel "${title}"`).toMatch(query);
    }
  });

  it('lays panels out without overlaps, within the 24-column grid, with unique ids', () => {
    const panels = loadDashboard().panels;
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    const cells = new Set<string>();
    for (const { title, gridPos: g } of panels) {
      expect(g.x + g.w, title).toBeLessThanOrEqual(24);
      for (let x = g.x; x < g.x + g.w; x++)
        for (let y = g.y; y < g.y + g.h; y++) {
          const cell = `${x},${y}`;
          expect(cells.has(cell), `${title} overlaps at ${cell}`).toBe(false);
          cells.add(cell);
        }
    }
  });
});
