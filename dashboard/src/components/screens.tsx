import { Component, lazy, Suspense, type ReactNode } from 'react';
import type { Route } from '../routing/routes.js';

/**
 * The screens a ward tablet does not show first load when first opened, each in a chunk of its
 * own (and the patient screen's charts in another), so the ward's first load carries only the
 * ward. The ward screen and sign-in stay in the main chunk.
 */
const loaders = {
  patient: () => import('./patient/PatientView.js'),
  admin: () => import('./admin/index.js'),
  alerts: () => import('./alerts/AlertsInbox.js'),
  family: () => import('./family/FamilyView.js'),
  account: () => import('./account/AccountScreens.js'),
};

/** Which chunk each screen's code is in; the screens for running an organisation share the admin one. */
const CHUNK: Partial<Record<Route['name'], keyof typeof loaders>> = {
  patient: 'patient',
  admin: 'admin',
  patients: 'admin',
  patientRecord: 'admin',
  places: 'admin',
  staff: 'admin',
  kits: 'admin',
  kit: 'admin',
  import: 'admin',
  audit: 'admin',
  organisations: 'admin',
  alerts: 'alerts',
  family: 'family',
  account: 'account',
};

export const PatientView = lazy(() => loaders.patient().then((m) => ({ default: m.PatientView })));
export const AlertsInbox = lazy(() => loaders.alerts().then((m) => ({ default: m.AlertsInbox })));
export const FamilyView = lazy(() => loaders.family().then((m) => ({ default: m.FamilyView })));
export const AdminScreen = lazy(() => loaders.admin().then((m) => ({ default: m.AdminScreen })));
export const PlacesScreen = lazy(() => loaders.admin().then((m) => ({ default: m.PlacesScreen })));
export const PatientsScreen = lazy(() => loaders.admin().then((m) => ({ default: m.PatientsScreen })));
export const PatientRecordScreen = lazy(() =>
  loaders.admin().then((m) => ({ default: m.PatientRecordScreen })),
);
export const StaffScreen = lazy(() => loaders.admin().then((m) => ({ default: m.StaffScreen })));
export const KitsScreen = lazy(() => loaders.admin().then((m) => ({ default: m.KitsScreen })));
export const KitScreen = lazy(() => loaders.admin().then((m) => ({ default: m.KitScreen })));
export const ImportScreen = lazy(() => loaders.admin().then((m) => ({ default: m.ImportScreen })));
export const AuditScreen = lazy(() => loaders.admin().then((m) => ({ default: m.AuditScreen })));
export const OrganisationsScreen = lazy(() =>
  loaders.admin().then((m) => ({ default: m.OrganisationsScreen })),
);
export const AccountScreen = lazy(() => loaders.account().then((m) => ({ default: m.AccountScreen })));
export const SetPasswordScreen = lazy(() =>
  loaders.account().then((m) => ({ default: m.SetPasswordScreen })),
);
export const EnrolmentRequiredScreen = lazy(() =>
  loaders.account().then((m) => ({ default: m.EnrolmentRequiredScreen })),
);

/**
 * Starts fetching the code of the screen at this address, so that it downloads while the session
 * is checked rather than after. The browser keeps one module per address: the lazy screen reuses it.
 */
export function preloadScreen(route: Route): void {
  const chunk = CHUNK[route.name];
  const load = chunk ? loaders[chunk] : null;
  void load?.().catch(() => undefined); // a failure shows when the screen itself loads
}

/** A lazy screen, with a notice while its code loads and if it cannot be loaded. */
export function LazyScreen({ children }: { children: ReactNode }) {
  return (
    <ScreenLoadError>
      <Suspense
        fallback={
          <main id="main" className="page page--centred" tabIndex={-1}>
            <p role="status">Loading…</p>
          </main>
        }
      >
        {children}
      </Suspense>
    </ScreenLoadError>
  );
}

/** A screen whose code could not be loaded (network, or a new release replaced it) or that failed. */
class ScreenLoadError extends Component<{ children: ReactNode }, { failed: boolean }> {
  override state = { failed: false };

  static getDerivedStateFromError(): { failed: boolean } {
    return { failed: true };
  }

  override render() {
    if (!this.state.failed) return this.props.children;
    return (
      <main id="main" className="page page--centred" tabIndex={-1}>
        <div className="error-summary" role="alert">
          <h1 className="error-summary__title">This screen could not be loaded</h1>
          <p>The connection may have dropped, or Wardline has been updated. Reload the page to try again.</p>
          <button type="button" className="button" onClick={() => window.location.reload()}>
            Reload
          </button>
        </div>
      </main>
    );
  }
}
