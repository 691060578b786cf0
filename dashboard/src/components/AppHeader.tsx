import type { SessionUser } from '@wardline/protocol';
import { Link } from '../routing/Link.js';
import { homeRoute, navItems, type Route } from '../routing/routes.js';

interface Props {
  user: SessionUser | null;
  route: Route;
  onSignOut: () => void;
  /** The demo's server: its residents, devices and events are simulated, and every screen says so. */
  demo?: boolean;
}

export function AppHeader({ user, route, onSignOut, demo = false }: Props) {
  const items = user ? navItems(user.role) : [];
  return (
    <header className="app-header">
      <div className="app-header__inner">
        {user ? (
          <Link to={homeRoute(user.role)} className="app-header__brand">
            Wardline
          </Link>
        ) : (
          <span className="app-header__brand">Wardline</span>
        )}
        {demo && (
          <span
            className="app-header__demo"
            data-testid="demo-label"
            title="A demonstration: every resident, device, reading and event here is simulated."
          >
            Demo: simulated data
          </span>
        )}
        {items.length > 0 && (
          <nav className="app-nav" aria-label="Main">
            <ul className="app-nav__list">
              {items.map((item) => (
                <li key={item.label}>
                  <Link
                    to={item.route}
                    className="app-nav__link"
                    aria-current={item.matches.includes(route.name) ? 'page' : undefined}
                    data-testid={`nav-${item.label.toLowerCase()}`}
                  >
                    {item.label}
                  </Link>
                </li>
              ))}
            </ul>
          </nav>
        )}
        {user && (
          <div className="app-header__user">
            {user.role === 'family' ? (
              <span className="app-header__name" data-testid="user-name">
                {user.displayName}
              </span>
            ) : (
              <Link
                to={{ name: 'account' }}
                className="app-header__name"
                title="Your account and two-step verification"
                aria-current={route.name === 'account' ? 'page' : undefined}
                data-testid="user-name"
              >
                {user.displayName}
              </Link>
            )}
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
