import type { Role } from '@wardline/protocol';

/**
 * The dashboard's screens and their addresses. Every screen has a path, so it can be bookmarked,
 * reloaded (the server answers any non-API GET with the app) and reached with Back.
 *
 *   /                       home: the role's own first screen
 *   /wards                  ward picker (staff)
 *   /wards/:wardId          live ward grid (staff)
 *   /patients/:patientId    one resident (staff)
 *   /admin                  admissions, devices, gateways, rejected messages (admin)
 *   /admin?code=X           ... with the rejected messages filtered by code
 *   /alerts?state=&priority=&ward=   alerts inbox with its filters (staff)
 *   /family                 the family member's relative (family)
 */
export interface AlertFilters {
  /** 'unresolved' (open or acknowledged, the default), one state, or 'all'. */
  state: 'unresolved' | 'open' | 'acknowledged' | 'resolved' | 'all';
  priority: 'critical' | 'high' | 'medium' | 'low' | null;
  wardId: string | null;
}

const FILTER_STATES = ['unresolved', 'open', 'acknowledged', 'resolved', 'all'] as const;
const FILTER_PRIORITIES = ['critical', 'high', 'medium', 'low'] as const;

function oneOf<T extends string>(values: readonly T[], raw: string | null): T | null {
  return values.find((v) => v === raw) ?? null;
}

export type Route =
  | { name: 'home' }
  | { name: 'wards' }
  | { name: 'ward'; wardId: string }
  | { name: 'patient'; patientId: string }
  | { name: 'admin'; deadLetterCode: string | null }
  | { name: 'family' }
  | { name: 'alerts'; filters: AlertFilters }
  | { name: 'notFound'; path: string };

function decode(segment: string): string | null {
  try {
    const value = decodeURIComponent(segment);
    return value.length > 0 && value.length <= 128 ? value : null;
  } catch {
    return null;
  }
}

export function parseRoute(pathname: string, search = ''): Route {
  const params = new URLSearchParams(search);
  const parts = pathname.split('/').filter(Boolean);
  const [first, second, ...rest] = parts;
  if (first === undefined) {
    // Bookmarks from before paths existed: /?ward=<id>.
    const legacyWard = params.get('ward');
    return legacyWard ? { name: 'ward', wardId: legacyWard } : { name: 'home' };
  }
  if (rest.length === 0) {
    if (first === 'wards') {
      if (second === undefined) return { name: 'wards' };
      const wardId = decode(second);
      if (wardId) return { name: 'ward', wardId };
    }
    if (first === 'patients' && second !== undefined) {
      const patientId = decode(second);
      if (patientId) return { name: 'patient', patientId };
    }
    if (first === 'admin' && second === undefined) {
      return { name: 'admin', deadLetterCode: params.get('code') || null };
    }
    if (first === 'family' && second === undefined) return { name: 'family' };
    if (first === 'alerts' && second === undefined) {
      const ward = params.get('ward');
      return {
        name: 'alerts',
        filters: {
          state: oneOf(FILTER_STATES, params.get('state')) ?? 'unresolved',
          priority: oneOf(FILTER_PRIORITIES, params.get('priority')),
          wardId: ward && ward.length <= 128 ? ward : null,
        },
      };
    }
  }
  return { name: 'notFound', path: pathname };
}

export function routePath(route: Route): string {
  switch (route.name) {
    case 'home':
      return '/';
    case 'wards':
      return '/wards';
    case 'ward':
      return `/wards/${encodeURIComponent(route.wardId)}`;
    case 'patient':
      return `/patients/${encodeURIComponent(route.patientId)}`;
    case 'admin':
      return route.deadLetterCode ? `/admin?code=${encodeURIComponent(route.deadLetterCode)}` : '/admin';
    case 'family':
      return '/family';
    case 'alerts': {
      const params = new URLSearchParams();
      const f = route.filters;
      if (f.state !== 'unresolved') params.set('state', f.state);
      if (f.priority) params.set('priority', f.priority);
      if (f.wardId) params.set('ward', f.wardId);
      const qs = params.toString();
      return qs ? `/alerts?${qs}` : '/alerts';
    }
    case 'notFound':
      return route.path;
  }
}

/** Where "home" leads for each role. */
export function homeRoute(role: Role): Route {
  return role === 'family' ? { name: 'family' } : { name: 'wards' };
}

/**
 * Whether a role may open a screen. The server enforces the same rules on every API call; this
 * only decides what the dashboard offers, so a typed-in address shows "not available" rather
 * than a screen full of refused requests.
 */
export function canOpen(role: Role, route: Route): boolean {
  switch (route.name) {
    case 'home':
    case 'notFound':
      return true;
    case 'wards':
    case 'ward':
    case 'patient':
    case 'alerts':
      return role === 'nurse' || role === 'admin';
    case 'admin':
      return role === 'admin';
    case 'family':
      return role === 'family';
  }
}

export interface NavItem {
  label: string;
  route: Route;
  /** Which screens count as "inside" this item, for aria-current. */
  matches: Route['name'][];
}

/** The header's navigation for a role. A family member has a single screen and no menu. */
export function navItems(role: Role): NavItem[] {
  if (role === 'family') return [];
  const items: NavItem[] = [
    { label: 'Wards', route: { name: 'wards' }, matches: ['wards', 'ward', 'patient'] },
    {
      label: 'Alerts',
      route: { name: 'alerts', filters: { state: 'unresolved', priority: null, wardId: null } },
      matches: ['alerts'],
    },
  ];
  if (role === 'admin')
    items.push({ label: 'Admin', route: { name: 'admin', deadLetterCode: null }, matches: ['admin'] });
  return items;
}
