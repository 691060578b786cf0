import type { SessionUser } from '@wardline/protocol';
import { useCallback, useEffect, useState } from 'react';
import { describeError, getSession, logout, setUnauthorizedHandler } from './api/client.js';
import { AppHeader } from './components/AppHeader.js';
import { LoginScreen } from './components/LoginScreen.js';
import { SignedIn } from './components/SignedIn.js';
import { navigate, useRoute } from './routing/navigation.js';

type Session =
  | { status: 'checking' }
  | { status: 'signedOut'; notice: string | null }
  | { status: 'signedIn'; user: SessionUser };

export function App() {
  const [session, setSession] = useState<Session>({ status: 'checking' });
  const route = useRoute();

  // Restore the session on load: the cookie survives a reload, the React state does not.
  useEffect(() => {
    const abort = new AbortController();
    getSession(abort.signal).then(
      (user) => setSession(user ? { status: 'signedIn', user } : { status: 'signedOut', notice: null }),
      (err: unknown) => {
        if (abort.signal.aborted) return;
        setSession({ status: 'signedOut', notice: describeError(err) });
      },
    );
    return () => abort.abort();
  }, []);

  const expire = useCallback(() => {
    setSession((s) =>
      s.status === 'signedIn' ? { status: 'signedOut', notice: 'Your session has ended. Sign in again.' } : s,
    );
  }, []);
  useEffect(() => setUnauthorizedHandler(expire), [expire]);

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
      />
      {session.status === 'checking' && (
        <main id="main" className="page page--centred" tabIndex={-1}>
          <p role="status">Loading…</p>
        </main>
      )}
      {session.status === 'signedOut' && (
        <LoginScreen
          notice={session.notice}
          onSignedIn={(user) => setSession({ status: 'signedIn', user })}
        />
      )}
      {session.status === 'signedIn' && (
        <SignedIn key={session.user.username} user={session.user} route={route} onUnauthorized={expire} />
      )}
    </>
  );
}
