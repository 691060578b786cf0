import { useCallback, useEffect, useState } from 'react';

const PARAM = 'ward';

function read(): string | null {
  return new URLSearchParams(window.location.search).get(PARAM);
}

/**
 * The selected ward, kept in the address (`?ward=<id>`) so a screen can be bookmarked, opened in
 * several tabs and navigated with Back.
 */
export function useWardParam(): [string | null, (wardId: string, options?: { replace?: boolean }) => void] {
  const [wardId, setWardId] = useState<string | null>(read);

  useEffect(() => {
    const onPop = () => setWardId(read());
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);

  const select = useCallback((next: string, options: { replace?: boolean } = {}) => {
    const url = new URL(window.location.href);
    if (url.searchParams.get(PARAM) !== next) {
      url.searchParams.set(PARAM, next);
      if (options.replace) window.history.replaceState(null, '', url);
      else window.history.pushState(null, '', url);
    }
    setWardId(next);
  }, []);

  return [wardId, select];
}
