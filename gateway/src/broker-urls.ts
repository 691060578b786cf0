/**
 * The gateway's broker list: one or more MQTT URLs, each checked on its own, so a mistake in the
 * third broker of a list is reported when the gateway starts, not in the middle of a failover.
 */

export const BROKER_PROTOCOLS = ['mqtt', 'mqtts', 'ws', 'wss'] as const;
export type BrokerProtocol = (typeof BROKER_PROTOCOLS)[number];

export interface BrokerEndpoint {
  protocol: BrokerProtocol;
  host: string;
  /** Given in the URL, else the protocol's default. */
  port: number;
  /** WebSocket URLs only: the path and query the broker serves MQTT on. */
  path?: string;
  /** scheme://host:port[/path]: no credentials; for logs and the health endpoint. */
  label: string;
}

const DEFAULT_PORTS: Record<BrokerProtocol, number> = { mqtt: 1883, mqtts: 8883, ws: 80, wss: 443 };

export class BrokerUrlError extends Error {
  override readonly name = 'BrokerUrlError';
}

export const isTls = (endpoint: BrokerEndpoint) =>
  endpoint.protocol === 'mqtts' || endpoint.protocol === 'wss';

/** Splits every value on commas: `--broker-url a,b --broker-url c` and `a,b,c` are the same list. */
export function splitBrokerUrls(values: readonly string[]): string[] {
  return values.flatMap((v) => v.split(',')).map((v) => v.trim());
}

/** Parses and checks one URL; the message names its place in the list. */
export function parseBrokerUrl(raw: string, place = 'broker URL'): BrokerEndpoint {
  // Never echo the URL itself: a mistyped one may carry a password.
  if (raw === '') throw new BrokerUrlError(`${place} is empty (a stray comma?)`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new BrokerUrlError(`${place} is not a URL`);
  }
  const protocol = url.protocol.replace(/:$/, '');
  if (!(BROKER_PROTOCOLS as readonly string[]).includes(protocol)) {
    throw new BrokerUrlError(
      `${place} must be mqtt://, mqtts://, ws:// or wss://, got ${protocol.slice(0, 16)}://`,
    );
  }
  const scheme = protocol as BrokerProtocol;
  if (url.username || url.password) {
    throw new BrokerUrlError(
      `${place}: put no credentials in a broker URL: use --username and WARDLINE_GATEWAY_PASSWORD`,
    );
  }
  if (url.hostname === '') throw new BrokerUrlError(`${place} has no host`);
  const port = url.port === '' ? DEFAULT_PORTS[scheme] : Number(url.port);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new BrokerUrlError(`${place} has a port outside 1-65535`);
  }
  if (url.hash) throw new BrokerUrlError(`${place} has a #fragment`);
  const websocket = scheme === 'ws' || scheme === 'wss';
  // For TCP the path would be taken as a Unix socket by the connection code: refuse it.
  if (!websocket && ((url.pathname !== '' && url.pathname !== '/') || url.search)) {
    throw new BrokerUrlError(`${place}: an ${scheme}:// URL has no path or query (only ws:// and wss:// do)`);
  }
  const path = websocket ? `${url.pathname || '/'}${url.search}` : undefined;
  // URL keeps IPv6 hosts in brackets; sockets want them bare.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return {
    protocol: scheme,
    host,
    port,
    ...(path !== undefined ? { path } : {}),
    label: `${scheme}://${url.hostname}:${port}${websocket && url.pathname !== '/' ? url.pathname : ''}`,
  };
}

/** Parses a whole list: at least one URL, each valid, none twice. */
export function parseBrokerUrls(raws: readonly string[]): BrokerEndpoint[] {
  if (raws.length === 0) throw new BrokerUrlError('the broker list is empty');
  const endpoints = raws.map((raw, i) =>
    parseBrokerUrl(raw, raws.length === 1 ? 'broker URL' : `broker URL ${i + 1} of ${raws.length}`),
  );
  const seen = new Set<string>();
  for (const [i, e] of endpoints.entries()) {
    if (seen.has(e.label)) throw new BrokerUrlError(`broker URL ${i + 1} (${e.label}) is listed twice`);
    seen.add(e.label);
  }
  return endpoints;
}
