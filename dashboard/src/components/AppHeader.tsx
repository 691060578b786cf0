import type { SessionUser } from '@wardline/protocol';

interface Props {
  user: SessionUser | null;
  onSignOut: () => void;
}

export function AppHeader({ user, onSignOut }: Props) {
  return (
    <header className="app-header">
      <div className="app-header__inner">
        <span className="app-header__brand">Wardline</span>
        {user && (
          <div className="app-header__user">
            <span className="app-header__name" data-testid="user-name">
              {user.displayName}
            </span>
            <button
              type="button"
              className="button button--header"
              onClick={onSignOut}
              data-testid="sign-out"
            >
              Sign out
            </button>
          </div>
        )}
      </div>
    </header>
  );
}
