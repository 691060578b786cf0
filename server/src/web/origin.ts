import { SESSION_COOKIE } from '@wardline/protocol';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * The public URL without a trailing slash (it may carry a path prefix behind a reverse proxy).
 * Throws with a message naming the variable when it is not an absolute http(s) URL.
 */
export function normalisePublicUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`WARDLINE_PUBLIC_URL must be an absolute URL, got "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`WARDLINE_PUBLIC_URL must be http or https, got "${value}"`);
  if (url.search || url.hash || url.username || url.password)
    throw new Error(`WARDLINE_PUBLIC_URL must not carry credentials, a query or a fragment`);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/**
 * Whether a browser Origin is the public URL's origin. A loopback public URL also accepts the other
 * loopback names on the same scheme and port (the demo prints localhost, binds 127.0.0.1): each
 * of them is this machine, so none is another site.
 */
export function originMatcher(publicUrl: () => string): (origin: string) => boolean {
  return (origin) => {
    const expected = new URL(publicUrl());
    let actual: URL;
    try {
      actual = new URL(origin);
    } catch {
      return false; // "null" (sandboxed frames, file:) and anything unparsable
    }
    if (actual.origin === expected.origin) return true;
    return (
      LOOPBACK_HOSTS.has(expected.hostname) &&
      LOOPBACK_HOSTS.has(actual.hostname) &&
      actual.protocol === expected.protocol &&
      actual.port === expected.port
    );
  };
}

interface RequestHeaders {
  origin?: string | undefined;
  'sec-fetch-site'?: string | string[] | undefined;
  authorization?: string | undefined;
  cookie?: string | undefined;
}

/**
 * Cross-site request forgery defence for requests that change state. A browser adds Origin to
 * every cross-origin request it can send (fetch, forms, WebSocket) and Sec-Fetch-Site to every
 * request, and page scripts can set neither, so: a foreign Origin or a cross-site fetch is refused;
 * a request the session cookie would authenticate needs a positive sign that it is same-origin.
 * A bearer token is never sent by a browser on its own, so those requests (API clients) pass.
 */
export function forgeryCheck(headers: RequestHeaders, allowed: (origin: string) => boolean): boolean {
  if (headers.authorization?.startsWith('Bearer ')) return true;
  const site = headers['sec-fetch-site'];
  if (headers.origin !== undefined) return allowed(headers.origin);
  if (site !== undefined) return site === 'same-origin';
  return !headers.cookie?.includes(`${SESSION_COOKIE}=`);
}

/**
 * The socket.io handshake: WebSocket is outside the same-origin policy and the session cookie
 * goes with it, so a foreign page could otherwise open a live feed in a nurse's name.
 */
export function handshakeCheck(headers: RequestHeaders, allowed: (origin: string) => boolean): boolean {
  if (headers.origin !== undefined) return allowed(headers.origin);
  const site = headers['sec-fetch-site'];
  return site === undefined || site === 'same-origin';
}
