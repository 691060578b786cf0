import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { DeadLetter } from '@wardline/protocol';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { requireRole } from '../auth/plugin.js';

export async function deadLetterRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { deadLetters } = app.wardline;

  app.get(
    '/api/dead-letters',
    {
      onRequest: requireRole('admin', 'operator'),
      schema: {
        querystring: Type.Object({
          code: Type.Optional(Type.String({ maxLength: 64 })),
          before: Type.Optional(Type.Integer({ minimum: 1 })),
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
        }),
      },
    },
    async (request): Promise<DeadLetter[]> => {
      const { code, before, limit } = request.query;
      // An operator runs the broker and sees every rejected message; an admin their sites' only.
      const organisationId = request.user!.role === 'operator' ? undefined : request.user!.organisationId;
      return deadLetters.list({
        limit,
        ...(code ? { code } : {}),
        ...(before ? { beforeId: before } : {}),
        ...(organisationId ? { organisationId } : {}),
      });
    },
  );
}
