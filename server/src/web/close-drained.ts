import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * Answers finished while the server is closing end their connection. Closing reaps only idle
 * connections: one whose request was still being answered (a broker's credentials poll, a load
 * balancer's health check) would otherwise stay open for the keep-alive timeout (72 s), and every
 * rolling restart of a replica would wait that long.
 */
export const closeDrained = fp(
  async (app: FastifyInstance) => {
    let closing = false;
    app.addHook('preClose', async () => {
      closing = true;
    });
    app.addHook('onSend', async (request, reply) => {
      if (closing && request.raw.httpVersionMajor < 2) reply.header('connection', 'close');
    });
  },
  { name: 'close-drained' },
);
