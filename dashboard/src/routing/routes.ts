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
 *   /patients?q=&discharged=1  patient search; admit and discharge (staff; changes: nurse in charge, admin)
 *   /patients/:id/record    a patient's details and admissions (staff)
 *   /admin/places           sites, wards and beds (admin)
 *   /admin/staff            staff accounts and invitations (admin)
 *   /kits, /kits/:kitId     gateway kits (admin, nurse in charge)
 *   /admin/import           CSV onboarding (admin)
 *   /admin/audit            the audit trail (admin)
 *   /organisations          organisations on this server (operator)
 *   /account                the signed-in user's second factor (everyone signed in)
 *   /set-password#token=    a one-time link's page, outside any session (handled by App)
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
  | { name: 'patients'; q: string; includeDischarged: boolean }
  | { name: 'patientRecord'; patientId: string }
  | { name: 'places' }
  | { name: 'staff' }
  | { name: 'kits' }
  | { name: 'kit'; kitId: string }
  | { name: 'import' }
  | { name: 'audit' }
  | { name: 'organisations' }
  | { name: 'account' }
  | { name: 'notFound'; path: string };

/** The address of the page a one-time account link opens; it works without a session. */
export const SET_PASSWORD_PATH = '/set-password';

const ADMIN_PAGES = ['places', 'staff', 'import', 'audit'] as const;
const SIMPLE_PAGES = ['kits', 'organisations', 'account'] as const;

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
  if (first === 'patients' && second !== undefined && rest.length === 1 && rest[0] === 'record') {
    const patientId = decode(second);
    if (patientId) return { name: 'patientRecord', patientId };
  }
  if (first === 'admin' && second !== undefined && rest.length === 0) {
    const sub = ADMIN_PAGES.find((p) => p === second);
    if (sub) return { name: sub };
  }
  if (first === 'kits' && second !== undefined && rest.length === 0) {
    const kitId = decode(second);
    if (kitId) return { name: 'kit', kitId };
  }
  if (second === undefined) {
    if (first === 'patients')
      return {
        name: 'patients',
        q: (params.get('q') ?? '').slice(0, 120),
        includeDischarged: params.get('discharged') === '1',
      };
    const simple = SIMPLE_PAGES.find((p) => p === first);
    if (simple) return { name: simple };
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
    case 'patients': {
      const params = new URLSearchParams();
      if (route.q) params.set('q', route.q);
      if (route.includeDischarged) params.set('discharged', '1');
      const qs = params.toString();
      return qs ? `/patients?${qs}` : '/patients';
    }
    case 'patientRecord':
      return `/patients/${encodeURIComponent(route.patientId)}/record`;
    case 'places':
    case 'staff':
    case 'import':
    case 'audit':
      return `/admin/${route.name}`;
    case 'kit':
      return `/kits/${encodeURIComponent(route.kitId)}`;
    case 'kits':
    case 'organisations':
    case 'account':
      return `/${route.name}`;
    case 'notFound':
      return route.path;
  }
}

/** Where "home" leads for each role. */
export function homeRoute(role: Role): Route {
  if (role === 'family') return { name: 'family' };
  if (role === 'operator') return { name: 'organisations' };
  return { name: 'wards' };
}

const STAFF: readonly Role[] = ['nurse', 'nurse_in_charge', 'admin'];
/** Who may admit, discharge and change a patient's details, and issue or return a kit. */
const CLINICAL_LEAD: readonly Role[] = ['nurse_in_charge', 'admin'];

export function canChangePatients(role: Role): boolean {
  return CLINICAL_LEAD.includes(role);
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
    case 'patients':
    case 'patientRecord':
      return STAFF.includes(role);
    case 'kits':
    case 'kit':
      return CLINICAL_LEAD.includes(role);
    case 'admin':
    case 'places':
    case 'staff':
    case 'import':
    case 'audit':
      return role === 'admin';
    case 'organisations':
      return role === 'operator';
    case 'account':
      return role !== 'family';
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
  if (role === 'operator')
    return [{ label: 'Organisations', route: { name: 'organisations' }, matches: ['organisations'] }];
  const items: NavItem[] = [
    { label: 'Wards', route: { name: 'wards' }, matches: ['wards', 'ward', 'patient'] },
    {
      label: 'Alerts',
      route: { name: 'alerts', filters: { state: 'unresolved', priority: null, wardId: null } },
      matches: ['alerts'],
    },
    {
      label: 'Patients',
      route: { name: 'patients', q: '', includeDischarged: false },
      matches: ['patients', 'patientRecord'],
    },
  ];
  if (CLINICAL_LEAD.includes(role))
    items.push({ label: 'Kits', route: { name: 'kits' }, matches: ['kits', 'kit'] });
  if (role === 'admin')
    items.push({
      label: 'Admin',
      route: { name: 'admin', deadLetterCode: null },
      matches: ['admin', ...ADMIN_PAGES],
    });
  return items;
}

/** The admin area's own pages, for the navigation inside it. */
export const ADMIN_SECTIONS: { label: string; route: Route }[] = [
  { label: 'Residents and devices', route: { name: 'admin', deadLetterCode: null } },
  { label: 'Places', route: { name: 'places' } },
  { label: 'Staff', route: { name: 'staff' } },
  { label: 'Kits', route: { name: 'kits' } },
  { label: 'Import', route: { name: 'import' } },
  { label: 'Audit', route: { name: 'audit' } },
];
