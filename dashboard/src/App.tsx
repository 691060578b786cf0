import type { SessionUser } from '@wardline/protocol';
import { useCallback, useEffect, useState } from 'react';
import {
  describeError,
  getSessionInfo,
  logout,
  setEnrolmentRequiredHandler,
  setUnauthorizedHandler,
} from './api/client.js';
import { AppHeader } from './components/AppHeader.js';
import { LoginScreen } from './components/LoginScreen.js';
import { EnrolmentRequiredScreen, LazyScreen, SetPasswordScreen } from './components/screens.js';
import { SignedIn } from './components/SignedIn.js';
import { navigate, useRoute } from './routing/navigation.js';
import { SET_PASSWORD_PATH } from './routing/routes.js';

/** Said on the sign-in screen when a session ends by itself: alerts stop until the user is back. */
export const SESSION_ENDED = 'Your session ended — sign in again to see alerts.';

type Session =
  | { status: 'checking' }
  | { status: 'signedOut'; notice: string | null }
  | { status: 'signedIn'; user: SessionUser; mustEnrol?: boolean };

export function App() {
  const [session, setSession] = useState<Session>({ status: 'checking' });
  const [demo, setDemo] = useState(false);
  const route = useRoute();
  // A one-time link's page works with or without a session: the link is for whoever holds it.
  const [settingPassword, setSettingPassword] = useState(
    () => window.location.pathname === SET_PASSWORD_PATH,
  );

  // Restore the session on load: the cookie survives a reload, the React state does not.
  useEffect(() => {
    const abort = new AbortController();
    getSessionInfo(abort.signal).then(
      ({ user, demo }) => {
        setDemo(demo);
        setSession(user ? { status: 'signedIn', user } : { status: 'signedOut', notice: null });
      },
      (err: unknown) => {
        if (abort.signal.aborted) return;
        setSession({ status: 'signedOut', notice: describeError(err) });
      },
    );
    return () => abort.abort();
  }, []);

  const expire = useCallback(() => {
    setSession((s) => (s.status === 'signedIn' ? { status: 'signedOut', notice: SESSION_ENDED } : s));
  }, []);
  useEffect(() => setUnauthorizedHandler(expire), [expire]);
  useEffect(
    () =>
      setEnrolmentRequiredHandler(() =>
        setSession((s) => (s.status === 'signedIn' ? { ...s, mustEnrol: true } : s)),
      ),
    [],
  );

  const signOut = useCallback(async () => {
    try {
      await logout();
    } catch {
      // The cookie may already be gone; the screen signs out regardless.
    }
    setSession({ status: 'signedOut', notice: null });
    navigate({ name: 'home' }, { replace: true });
  }, []);

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to main content
      </a>
      <AppHeader
        user={session.status === 'signedIn' ? session.user : null}
        route={route}
        onSignOut={signOut}
        demo={demo}
      />
      {settingPassword && (
        <LazyScreen>
          <SetPasswordScreen
            onSignedIn={(user, mustEnrol) => {
              setSettingPassword(false);
              setSession({ status: 'signedIn', user, mustEnrol });
              navigate({ name: 'home' }, { replace: true });
            }}
            onSignIn={() => {
              setSettingPassword(false);
              setSession({ status: 'signedOut', notice: null });
              navigate({ name: 'home' }, { replace: true });
            }}
          />
        </LazyScreen>
      )}
      {!settingPassword && session.status === 'checking' && (
        <main id="main" className="page page--centred" tabIndex={-1}>
          <p role="status">Loading…</p>
        </main>
      )}
      {!settingPassword && session.status === 'signedOut' && (
        <LoginScreen
          notice={session.notice}
          onSignedIn={(user, secondFactor) =>
            setSession({ status: 'signedIn', user, mustEnrol: secondFactor === 'enrol-required' })
          }
        />
      )}
      {!settingPassword && session.status === 'signedIn' && session.mustEnrol && (
        <LazyScreen>
          <EnrolmentRequiredScreen onDone={() => setSession({ status: 'signedIn', user: session.user })} />
        </LazyScreen>
      )}
      {!settingPassword && session.status === 'signedIn' && !session.mustEnrol && (
        <SignedIn key={session.user.username} user={session.user} route={route} onUnauthorized={expire} />
      )}
    </>
  );
}
