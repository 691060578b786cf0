import { useCallback, useEffect, useState } from 'react';
import { describeError } from '../api/client.js';

export type Resource<T> =
  | { status: 'loading'; data: T | null }
  | { status: 'ready'; data: T }
  | { status: 'failed'; data: T | null; message: string; error: unknown };

/**
 * One REST read, refetched when `deps` change or `reload()` is called. Keeps the previous data
 * while reloading, so a table does not blank out after every admin action.
 */
export function useResource<T>(
  load: (signal: AbortSignal) => Promise<T>,
  deps: readonly unknown[],
): [Resource<T>, () => void] {
  const [state, setState] = useState<Resource<T>>({ status: 'loading', data: null });
  const [token, setToken] = useState(0);

  useEffect(() => {
    const abort = new AbortController();
    setState((s) => ({ status: 'loading', data: s.data }));
    load(abort.signal).then(
      (data) => {
        if (!abort.signal.aborted) setState({ status: 'ready', data });
      },
      (err: unknown) => {
        if (!abort.signal.aborted)
          setState((s) => ({ status: 'failed', data: s.data, message: describeError(err), error: err }));
      },
    );
    return () => abort.abort();
  }, [...deps, token]);

  const reload = useCallback(() => setToken((n) => n + 1), []);
  return [state, reload];
}
