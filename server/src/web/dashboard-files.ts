import type { FastifyStaticOptions } from '@fastify/static';
import { relative, sep } from 'node:path';

/** Vite names every file under assets/ after a hash of its content: a new build is a new address. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';

/** Where the dashboard's hashed files are served: an unknown one is a 404, never the app's page. */
export const isAssetPath = (urlPath: string) => urlPath.startsWith('/assets/');

/**
 * How the built dashboard is served: the brotli or gzip copy written beside each file at build
 * time when the browser accepts it (compressed once, so no CPU per request while the server is
 * busy ingesting), hashed assets cached for a year, everything else (index.html) revalidated on
 * every load so a new release is picked up at once.
 */
export function dashboardFiles(root: string): FastifyStaticOptions {
  return {
    root,
    wildcard: false,
    preCompressed: true,
    // The compressed copies are chosen by Accept-Encoding, not addresses of their own.
    globIgnore: ['**/*.br', '**/*.gz'],
    cacheControl: false,
    // Source maps would hand out the dashboard's source; production builds have none, and a
    // stray one left in the directory is not served either.
    allowedPath: (path) => !path.endsWith('.map'),
    setHeaders: (reply, path) => {
      const hashed = relative(root, path).startsWith(`assets${sep}`);
      reply.header('cache-control', hashed ? IMMUTABLE : 'no-cache');
    },
  };
}
