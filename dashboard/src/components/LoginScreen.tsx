import type { SessionUser, SignInProvider } from '@wardline/protocol';
// The sub-path: the package's index would bring every schema (and typebox) into the first load.
import { OIDC_SIGN_IN_ERRORS } from '@wardline/protocol/oidc';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { ApiError, describeError, login } from '../api/client.js';

interface Props {
  /** Shown above the form, e.g. when a session has expired. */
  notice: string | null;
  /** With 'enrol-required', the session may only enrol a second factor. */
  onSignedIn: (user: SessionUser, secondFactor?: string) => void;
}

function loginErrorMessage(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.code === 'WL_SECOND_FACTOR_REQUIRED')
      return 'Enter the 6-digit code from your authenticator app.';
    if (err.code === 'WL_BAD_TOTP_CODE')
      return 'That code is not right. Check the time on your phone and enter the newest code.';
    if (err.status === 401) return 'The username or password is not correct.';
    if (err.status === 400) return 'Enter your username and password.';
    if (err.status === 429) return 'Too many sign-in attempts. Wait a minute and try again.';
  }
  return describeError(err);
}

/** A refused single sign-on comes back as /?signInError={code}. */
function signInErrorFromUrl(): string | null {
  const code = new URLSearchParams(window.location.search).get('signInError');
  if (!code) return null;
  return (
    (OIDC_SIGN_IN_ERRORS as Record<string, string>)[code] ??
    'Single sign-on did not sign you in. Sign in again.'
  );
}

export function LoginScreen({ notice, onSignedIn }: Props) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(signInErrorFromUrl);
  const [providers, setProviders] = useState<SignInProvider[]>([]);
  const [submitting, setSubmitting] = useState(false);
  // Asked for once the password is known to be right and the account has a second factor.
  const [totp, setTotp] = useState<string | null>(null);
  const errorRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (error) errorRef.current?.focus();
  }, [error]);

  useEffect(() => {
    // Said once: a reload does not repeat an old refusal.
    const url = new URL(window.location.href);
    if (url.searchParams.has('signInError')) {
      url.searchParams.delete('signInError');
      window.history.replaceState(window.history.state, '', url.pathname + url.search + url.hash);
    }
    const controller = new AbortController();
    fetch('/api/auth/providers', { signal: controller.signal })
      .then((res) => (res.ok ? (res.json() as Promise<SignInProvider[]>) : []))
      .then(setProviders)
      .catch(() => undefined); // without the list, the password form still works
    return () => controller.abort();
  }, []);

  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (submitting) return;
    if (!username.trim() || !password) {
      setError('Enter your username and password.');
      return;
    }
    const code = totp?.replace(/\s/g, '');
    if (totp !== null && !/^\d{6}$/.test(code ?? '')) {
      setError('Enter the 6-digit code from your authenticator app.');
      return;
    }
    setSubmitting(true);
    setError(null);
    try {
      const res = await login({ username: username.trim(), password, ...(code && { totp: code }) });
      onSignedIn(res.user, res.secondFactor);
    } catch (err) {
      const secondFactor =
        err instanceof ApiError &&
        (err.code === 'WL_SECOND_FACTOR_REQUIRED' || err.code === 'WL_BAD_TOTP_CODE');
      if (secondFactor) setTotp('');
      else {
        setPassword('');
        setTotp(null);
      }
      setError(loginErrorMessage(err));
      setSubmitting(false);
    }
  };

  return (
    <main id="main" className="page page--centred" tabIndex={-1}>
      <div className="login">
        <h1 className="login__title">Sign in to Wardline</h1>
        {notice && !error && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        {error && (
          <div
            className="error-summary"
            role="alert"
            tabIndex={-1}
            ref={errorRef}
            id="login-error"
            data-testid="login-error"
          >
            <h2 className="error-summary__title">There is a problem</h2>
            <p>{error}</p>
          </div>
        )}
        <form className="login__form" onSubmit={submit} noValidate>
          <div className="field">
            <label htmlFor="login-username">Username</label>
            <input
              id="login-username"
              name="username"
              type="text"
              autoComplete="username"
              autoCapitalize="none"
              spellCheck={false}
              required
              maxLength={128}
              value={username}
              onChange={(e) => setUsername(e.target.value)}
              aria-describedby={error ? 'login-error' : undefined}
              data-testid="login-username"
            />
          </div>
          <div className="field">
            <label htmlFor="login-password">Password</label>
            <input
              id="login-password"
              name="password"
              type="password"
              autoComplete="current-password"
              required
              maxLength={256}
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              aria-describedby={error ? 'login-error' : undefined}
              data-testid="login-password"
            />
          </div>
          {totp !== null && (
            <div className="field">
              <label htmlFor="login-totp">Code from your authenticator app</label>
              <input
                id="login-totp"
                name="totp"
                type="text"
                inputMode="numeric"
                autoComplete="one-time-code"
                maxLength={7}
                value={totp}
                onChange={(e) => setTotp(e.target.value)}
                aria-describedby={error ? 'login-error' : undefined}
                data-testid="login-totp"
              />
            </div>
          )}
          <button type="submit" className="button" disabled={submitting} data-testid="login-submit">
            {submitting ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
        {providers.length > 0 && (
          <div className="login__providers" data-testid="login-providers">
            {providers.map((p) => (
              <a
                key={p.id}
                className="button button--secondary"
                href={`/api/auth/oidc/${encodeURIComponent(p.id)}/start`}
                data-testid={`login-provider-${p.id}`}
              >
                Sign in with {p.name}
              </a>
            ))}
          </div>
        )}
      </div>
    </main>
  );
}
