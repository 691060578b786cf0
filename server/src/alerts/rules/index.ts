import { batteryLowRule } from './battery-low/index.js';
import { bpThresholdRule } from './bp-threshold/index.js';
import { deviceSilentRule } from './device-silent/index.js';
import { fallsIncidentRule } from './falls-incident/index.js';
import { gatewayOfflineRule } from './gateway-offline/index.js';
import { news2Rule } from './news2/index.js';
import { readingOverdueRule } from './reading-overdue/index.js';
import { readingQualityRule } from './reading-quality/index.js';
import { spo2ThresholdRule } from './spo2-threshold/index.js';
import type { AlertRule } from './types.js';

export { SAFETY_CONDITIONS } from './falls-incident/index.js';
export type { AlertRule, RuleContext } from './types.js';

/** The registered rules, in the order the engine runs them. */
export const ALERT_RULES: readonly AlertRule[] = [
  deviceSilentRule,
  fallsIncidentRule,
  news2Rule,
  bpThresholdRule,
  readingOverdueRule,
  spo2ThresholdRule,
  readingQualityRule,
  batteryLowRule,
  gatewayOfflineRule,
];
