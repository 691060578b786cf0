import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALERT_RULES } from './index.js';

const folder = (name: string) => new URL(`./${name}/`, import.meta.url);

describe('alert rule registry', () => {
  it('gives each rule its own folder with a README naming every condition it raises', () => {
    for (const rule of ALERT_RULES) {
      const readme = new URL('README.md', folder(rule.name));
      expect(existsSync(readme), `${rule.name}/README.md`).toBe(true);
      const text = readFileSync(readme, 'utf8');
      for (const condition of rule.conditions)
        expect(text, `${rule.name} documents ${condition}`).toContain(condition);
    }
  });

  it('has one rule per condition, and every rule watches something it handles', () => {
    const conditions = ALERT_RULES.flatMap((r) => r.conditions);
    expect(new Set(conditions).size).toBe(conditions.length);
    for (const rule of ALERT_RULES) {
      const w = rule.watches;
      if (w.observations) expect(rule.onObservation ?? rule.onPatientReadings, rule.name).toBeDefined();
      if (w.deviceStatus) expect(rule.onDeviceStatus, rule.name).toBeDefined();
      if (w.gatewayStatus) expect(rule.onGatewayStatus, rule.name).toBeDefined();
      if (w.timer) expect(rule.onTick, rule.name).toBeDefined();
    }
  });
});
