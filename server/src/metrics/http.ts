import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** Times every HTTP request, 404s included, by its route's pattern. */
export const httpMetrics = fp(
  async (app: FastifyInstance) => {
    const metrics = app.wardline.serverMetrics;
    app.addHook('onResponse', async (request, reply) => {
      metrics.observeRequest(
        request.method,
        request.routeOptions.url,
        reply.statusCode,
        reply.elapsedTime / 1000,
      );
    });
  },
  { name: 'wardline-http-metrics', dependencies: ['wardline-context'] },
);
