import { describe, expect, it } from 'vitest';
import { canOpen, homeRoute, navItems, parseRoute, routePath, type Route } from './routes.js';

describe('parseRoute', () => {
  it('reads every screen from its address', () => {
    expect(parseRoute('/')).toEqual({ name: 'home' });
    expect(parseRoute('/wards')).toEqual({ name: 'wards' });
    expect(parseRoute('/wards/ward-1')).toEqual({ name: 'ward', wardId: 'ward-1' });
    expect(parseRoute('/patients/p%3A1/')).toEqual({ name: 'patient', patientId: 'p:1' });
    expect(parseRoute('/admin', '?code=SCHEMA')).toEqual({ name: 'admin', deadLetterCode: 'SCHEMA' });
    expect(parseRoute('/family')).toEqual({ name: 'family' });
  });

  it('reads the alerts inbox filters and ignores unknown values', () => {
    expect(parseRoute('/alerts', '?state=bogus&priority=high&ward=w1')).toEqual({
      name: 'alerts',
      filters: { state: 'unresolved', priority: 'high', wardId: 'w1' },
    });
    expect(
      canOpen('family', { name: 'alerts', filters: { state: 'all', priority: null, wardId: null } }),
    ).toBe(false);
  });

  it('keeps old ?ward= bookmarks working', () => {
    expect(parseRoute('/', '?ward=ward-2')).toEqual({ name: 'ward', wardId: 'ward-2' });
  });

  it('treats anything else as not found, including malformed escapes', () => {
    expect(parseRoute('/wards/a/b').name).toBe('notFound');
    expect(parseRoute('/patients/%E0%A4%A').name).toBe('notFound');
    expect(parseRoute('/nope').name).toBe('notFound');
  });

  it('round-trips through routePath', () => {
    const routes: Route[] = [
      { name: 'ward', wardId: 'ward 1/x' },
      { name: 'patient', patientId: 'p-1' },
      { name: 'admin', deadLetterCode: 'UNKNOWN_DEVICE' },
      { name: 'admin', deadLetterCode: null },
      { name: 'family' },
      { name: 'alerts', filters: { state: 'unresolved', priority: null, wardId: null } },
      { name: 'alerts', filters: { state: 'resolved', priority: 'critical', wardId: 'ward 1' } },
    ];
    for (const r of routes) {
      const url = new URL(routePath(r), 'http://x');
      expect(parseRoute(url.pathname, url.search)).toEqual(r);
    }
  });
});

describe('canOpen', () => {
  it('keeps a family member to the family screen', () => {
    expect(canOpen('family', { name: 'family' })).toBe(true);
    expect(canOpen('family', { name: 'ward', wardId: 'w' })).toBe(false);
    expect(canOpen('family', { name: 'patient', patientId: 'p' })).toBe(false);
    expect(canOpen('family', { name: 'admin', deadLetterCode: null })).toBe(false);
  });

  it('gives nurses the wards and patients but not admin', () => {
    expect(canOpen('nurse', { name: 'patient', patientId: 'p' })).toBe(true);
    expect(canOpen('nurse', { name: 'admin', deadLetterCode: null })).toBe(false);
    expect(canOpen('nurse', { name: 'family' })).toBe(false);
    expect(canOpen('admin', { name: 'admin', deadLetterCode: null })).toBe(true);
  });

  it('shows the admin menu only to admins and no menu to family', () => {
    expect(navItems('nurse').map((i) => i.label)).toEqual(['Wards', 'Alerts', 'Patients']);
    expect(navItems('nurse_in_charge').map((i) => i.label)).toEqual(['Wards', 'Alerts', 'Patients', 'Kits']);
    expect(navItems('admin').map((i) => i.label)).toEqual(['Wards', 'Alerts', 'Patients', 'Kits', 'Admin']);
    expect(navItems('family')).toEqual([]);
  });

  it('gives a nurse in charge what a nurse sees plus kits, and admin pages only to admins', () => {
    for (const route of [{ name: 'wards' }, { name: 'patients', q: '', includeDischarged: false }] as Route[])
      expect(canOpen('nurse_in_charge', route)).toBe(true);
    expect(canOpen('nurse_in_charge', { name: 'kit', kitId: 'k' })).toBe(true);
    expect(canOpen('nurse', { name: 'kits' })).toBe(false);
    for (const name of ['places', 'staff', 'import', 'audit'] as const) {
      expect(canOpen('admin', { name })).toBe(true);
      expect(canOpen('nurse_in_charge', { name })).toBe(false);
    }
  });

  it('keeps an operator to the organisations', () => {
    expect(homeRoute('operator')).toEqual({ name: 'organisations' });
    expect(navItems('operator').map((i) => i.label)).toEqual(['Organisations']);
    expect(canOpen('operator', { name: 'wards' })).toBe(false);
    expect(canOpen('operator', { name: 'places' })).toBe(false);
    expect(canOpen('admin', { name: 'organisations' })).toBe(false);
  });
});

describe('organisation pages', () => {
  it('reads and writes their addresses', () => {
    expect(parseRoute('/patients', '?q=943+476&discharged=1')).toEqual({
      name: 'patients',
      q: '943 476',
      includeDischarged: true,
    });
    expect(parseRoute('/admin/staff')).toEqual({ name: 'staff' });
    expect(parseRoute('/admin/nope').name).toBe('notFound');
    const routes: Route[] = [
      { name: 'patients', q: '', includeDischarged: false },
      { name: 'patients', q: 'Ada L', includeDischarged: true },
      { name: 'patientRecord', patientId: 'p 1' },
      { name: 'places' },
      { name: 'staff' },
      { name: 'kits' },
      { name: 'kit', kitId: 'kit/1' },
      { name: 'import' },
      { name: 'audit' },
      { name: 'organisations' },
      { name: 'account' },
    ];
    for (const r of routes) {
      const url = new URL(routePath(r), 'http://x');
      expect(parseRoute(url.pathname, url.search)).toEqual(r);
    }
  });
});
