import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** The dashboard operators import into Grafana (docs/grafana/wardline.json). */
export const DASHBOARD_PATH = resolve(import.meta.dirname, '../../docs/grafana/wardline.json');

export interface DashboardPanel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: { refId: string; expr: string; datasource?: { uid: string } }[];
}

export interface Dashboard {
  title: string;
  uid: string;
  templating: { list: unknown[] };
  panels: DashboardPanel[];
}

export function loadDashboard(): Dashboard {
  return JSON.parse(readFileSync(DASHBOARD_PATH, 'utf8')) as Dashboard;
}

/** Panels with queries (rows are layout only). */
export const queryPanels = (): DashboardPanel[] => loadDashboard().panels.filter((p) => p.type !== 'row');

/**
 * A panel's query as Prometheus would run it: Grafana substitutes its interval variables first.
 * `rateInterval` must hold a few scrapes; `range` stands for the dashboard's time range.
 */
export function substituteGrafanaVariables(expr: string, rateInterval: string, range: string): string {
  return expr.replaceAll('$__rate_interval', rateInterval).replaceAll('$__range', range);
}
