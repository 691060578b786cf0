import type { SessionUser } from '@wardline/protocol';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { ApiError, describeError, login } from '../api/client.js';

interface Props {
  /** Shown above the form, e.g. when a session has expired. */
  notice: string | null;
  onSignedIn: (user: SessionUser) => void;
}

function loginErrorMessage(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 401) return 'The username or password is not correct.';
    if (err.status === 400) return 'Enter your username and password.';
    if (err.status === 429) return 'Too many sign-in attempts. Wait a minute and try again.';
  }
  return describeError(err);
}

export function LoginScreen({ notice, onSignedIn }: Props) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [submitting, setSubmitting] = useState(false);
  const errorRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (error) errorRef.current?.focus();
  }, [error]);

  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (submitting) return;
    if (!username.trim() || !password) {
      setError('Enter your username and password.');
      return;
    }
    setSubmitting(true);
    setError(null);
    try {
      const res = await login({ username: username.trim(), password });
      onSignedIn(res.user);
    } catch (err) {
      setPassword('');
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
          <button type="submit" className="button" disabled={submitting} data-testid="login-submit">
            {submitting ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
      </div>
    </main>
  );
}
