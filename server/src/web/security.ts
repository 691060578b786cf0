import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Errors } from '../errors.js';
import { forgeryCheck, originMatcher } from './origin.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The configured public URL (no trailing slash): links the server hands out, never the Host header. */
    publicUrl(): string;
    /** Whether a browser Origin is this server's own. */
    isOwnOrigin(origin: string): boolean;
  }
}

/**
 * The dashboard is one origin with its own scripts and styles only. No inline script or style is
 * allowed; React's style props go through the CSSOM, which CSP does not restrict. connect-src
 * 'self' covers the same-origin WebSocket (CSP Level 3).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Answers carrying personal or session data: never kept by the browser or a shared cache. */
const PRIVATE_PATHS = /^\/(api|fhir|metrics)(\/|$|\?)/;

/**
 * Browser-facing defences for every answer: security headers, the cross-site request forgery
 * check on state-changing requests, and JSON-only bodies.
 */
export const webSecurity = fp(
  async (app: FastifyInstance, options: { publicUrl: () => string }) => {
    const isOwnOrigin = originMatcher(options.publicUrl);
    const hsts = () => options.publicUrl().startsWith('https:');
    app.decorate('publicUrl', options.publicUrl);
    app.decorate('isOwnOrigin', isOwnOrigin);

    // text/plain is a "simple" content type: a foreign page may POST it without a CORS preflight.
    // With only JSON parsed, such a body is refused (415) before any route runs.
    app.removeContentTypeParser('text/plain');

    app.addHook('onRequest', async (request) => {
      if (SAFE_METHODS.has(request.method)) return;
      if (forgeryCheck(request.headers, isOwnOrigin)) return;
      app.wardline.webMetrics.refuse('WL_BAD_ORIGIN');
      request.log.warn(
        {
          code: 'WL_BAD_ORIGIN',
          origin: request.headers.origin ?? null,
          fetchSite: request.headers['sec-fetch-site'] ?? null,
        },
        'state-changing request refused: not from this origin',
      );
      throw new Errors.badOrigin();
    });

    app.addHook('onSend', async (request, reply) => {
      reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
      reply.header('x-content-type-options', 'nosniff');
      reply.header('x-frame-options', 'DENY');
      reply.header('referrer-policy', 'no-referrer');
      reply.header('cross-origin-opener-policy', 'same-origin');
      reply.header('cross-origin-resource-policy', 'same-origin');
      if (hsts()) reply.header('strict-transport-security', 'max-age=31536000');
      if (PRIVATE_PATHS.test(request.url)) reply.header('cache-control', 'no-store');
    });
  },
  { name: 'wardline-web-security', dependencies: ['wardline-context'] },
);
