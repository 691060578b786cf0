import type { SessionUser } from '@wardline/protocol';
import { useEffect, useRef } from 'react';
import { useSocket } from '../hooks/useSocket.js';
import { navigate } from '../routing/navigation.js';
import { canChangePatients, canOpen, homeRoute, routePath, type Route } from '../routing/routes.js';
import { NotAvailable, NotFound } from './NotAvailable.js';
import {
  AccountScreen,
  AdminScreen,
  AlertsInbox,
  AuditScreen,
  FamilyView,
  ImportScreen,
  KitScreen,
  KitsScreen,
  LazyScreen,
  OrganisationsScreen,
  PatientRecordScreen,
  PatientsScreen,
  PatientView,
  PlacesScreen,
  preloadScreen,
  StaffScreen,
} from './screens.js';
import { WardsScreen } from './WardsScreen.js';

interface Props {
  user: SessionUser;
  route: Route;
  onUnauthorized: () => void;
}

/**
 * Everything behind sign-in: one socket for the session, shared by every live screen, and the
 * screen for the address. A screen the role may not open is "not available", whichever way the
 * address was reached; the server refuses the data as well.
 */
export function SignedIn({ user, route, onUnauthorized }: Props) {
  const socketState = useSocket(onUnauthorized);
  const path = routePath(route);

  // "/" is the role's own first screen.
  useEffect(() => {
    if (route.name !== 'home') return;
    preloadScreen(homeRoute(user.role));
    navigate(homeRoute(user.role), { replace: true });
  }, [route.name, user.role]);

  // One address per screen: /?ward=x (old bookmarks) and trailing slashes become the canonical form.
  useEffect(() => {
    const here = window.location.pathname + window.location.search;
    if (route.name !== 'notFound' && route.name !== 'home' && here !== path)
      navigate(path, { replace: true });
  }, [route.name, path]);

  // After moving to another screen, put focus at its start so screen readers begin there. Changes
  // within a screen (a filter in the query string) leave focus where it is.
  const screen = screenKey(route);
  const firstScreen = useRef(screen);
  useEffect(() => {
    if (screen === firstScreen.current) return;
    firstScreen.current = '';
    document.getElementById('main')?.focus();
  }, [screen]);

  if (!canOpen(user.role, route)) return <NotAvailable role={user.role} />;
  switch (route.name) {
    case 'home':
      return null;
    case 'wards':
    case 'ward':
      return <WardsScreen wardId={route.name === 'ward' ? route.wardId : null} socket={socketState} />;
    case 'patient':
      return (
        <LazyScreen key={route.name}>
          <PatientView key={route.patientId} patientId={route.patientId} socket={socketState} />
        </LazyScreen>
      );
    case 'admin':
      return (
        <LazyScreen key={route.name}>
          <AdminScreen deadLetterCode={route.deadLetterCode} />
        </LazyScreen>
      );
    case 'family':
      return (
        <LazyScreen key={route.name}>
          <FamilyView socket={socketState} />
        </LazyScreen>
      );
    case 'alerts':
      return (
        <LazyScreen key={route.name}>
          <AlertsInbox filters={route.filters} socket={socketState} />
        </LazyScreen>
      );
    case 'patients':
      return (
        <LazyScreen key={route.name}>
          <PatientsScreen
            q={route.q}
            includeDischarged={route.includeDischarged}
            canChange={canChangePatients(user.role)}
          />
        </LazyScreen>
      );
    case 'patientRecord':
      return (
        <LazyScreen key={route.name}>
          <PatientRecordScreen
            key={route.patientId}
            patientId={route.patientId}
            canChange={canChangePatients(user.role)}
          />
        </LazyScreen>
      );
    case 'places':
      return (
        <LazyScreen key={route.name}>
          <PlacesScreen />
        </LazyScreen>
      );
    case 'staff':
      return (
        <LazyScreen key={route.name}>
          <StaffScreen self={user.username} />
        </LazyScreen>
      );
    case 'kits':
      return (
        <LazyScreen key={route.name}>
          <KitsScreen canRegister={user.role === 'admin'} />
        </LazyScreen>
      );
    case 'kit':
      return (
        <LazyScreen key={route.name}>
          <KitScreen key={route.kitId} kitId={route.kitId} isAdmin={user.role === 'admin'} />
        </LazyScreen>
      );
    case 'import':
      return (
        <LazyScreen key={route.name}>
          <ImportScreen />
        </LazyScreen>
      );
    case 'audit':
      return (
        <LazyScreen key={route.name}>
          <AuditScreen />
        </LazyScreen>
      );
    case 'organisations':
      return (
        <LazyScreen key={route.name}>
          <OrganisationsScreen />
        </LazyScreen>
      );
    case 'account':
      return (
        <LazyScreen key={route.name}>
          <AccountScreen user={user} />
        </LazyScreen>
      );
    case 'notFound':
      return <NotFound role={user.role} />;
  }
}

function screenKey(route: Route): string {
  switch (route.name) {
    case 'ward':
      return `ward:${route.wardId}`;
    case 'patient':
    case 'patientRecord':
      return `${route.name}:${route.patientId}`;
    case 'kit':
      return `kit:${route.kitId}`;
    default:
      return route.name;
  }
}
