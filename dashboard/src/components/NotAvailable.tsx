import type { Role } from '@wardline/protocol';
import { useEffect } from 'react';
import { Link } from '../routing/Link.js';
import { homeRoute } from '../routing/routes.js';

function useTitle(title: string) {
  useEffect(() => {
    document.title = `${title} — Wardline`;
    return () => {
      document.title = 'Wardline';
    };
  }, [title]);
}

/** A screen this account may not open: the same answer whether the thing exists or not. */
export function NotAvailable({ role }: { role: Role }) {
  useTitle('Not available');
  return (
    <main id="main" className="page page--centred" tabIndex={-1} data-testid="not-available">
      <h1>This page is not available</h1>
      <p className="page-lead">
        {role === 'family'
          ? 'Your account shows the information about your relative only.'
          : 'Your account does not have access to this page.'}
      </p>
      <p>
        <Link to={homeRoute(role)} data-testid="go-home">
          {role === 'family' ? 'Go to your relative’s page' : 'Go to your wards'}
        </Link>
      </p>
    </main>
  );
}

/** Something the server would refuse or that does not exist, reached by a typed address. */
export function NotFound({ role }: { role: Role }) {
  useTitle('Page not found');
  return (
    <main id="main" className="page page--centred" tabIndex={-1} data-testid="not-found">
      <h1>Page not found</h1>
      <p className="page-lead">Check the address, or start again from the home page.</p>
      <p>
        <Link to={homeRoute(role)}>Go to the home page</Link>
      </p>
    </main>
  );
}
