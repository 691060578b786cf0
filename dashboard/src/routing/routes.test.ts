import { describe, expect, it } from 'vitest';
import { canOpen, navItems, parseRoute, routePath, type Route } from './routes.js';

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
    expect(navItems('nurse').map((i) => i.label)).toEqual(['Wards', 'Alerts']);
    expect(navItems('admin').map((i) => i.label)).toEqual(['Wards', 'Alerts', 'Admin']);
    expect(navItems('family')).toEqual([]);
  });
});
