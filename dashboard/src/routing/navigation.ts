import { useEffect, useState } from 'react';
import { parseRoute, routePath, type Route } from './routes.js';

/**
 * A minimal router over the History API: the app has six screens and no nested layouts, which
 * does not justify a dependency. `navigate` changes the address and notifies `useRoute`.
 */

const NAVIGATE_EVENT = 'wardline:navigate';

export function currentRoute(): Route {
  return parseRoute(window.location.pathname, window.location.search);
}

export function navigate(to: Route | string, options: { replace?: boolean } = {}): void {
  const path = typeof to === 'string' ? to : routePath(to);
  const here = window.location.pathname + window.location.search;
  if (path !== here) {
    if (options.replace) window.history.replaceState(null, '', path);
    else window.history.pushState(null, '', path);
  }
  window.dispatchEvent(new Event(NAVIGATE_EVENT));
}

export function useRoute(): Route {
  const [route, setRoute] = useState<Route>(currentRoute);
  useEffect(() => {
    const update = () => setRoute(currentRoute());
    window.addEventListener('popstate', update);
    window.addEventListener(NAVIGATE_EVENT, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(NAVIGATE_EVENT, update);
    };
  }, []);
  return route;
}
