import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { STATUS_CODES } from 'node:http';
import { Errors } from '../errors.js';
import { noteRefusal } from './request-log.js';
import { validationMessage } from './validation-message.js';

/** Every error answer: a stable code for programs and a sentence for people. */
export interface ErrorBody {
  statusCode: number;
  code: string;
  error: string;
  message: string;
}

/** Fastify's own refusals keep their codes (clients rely on them); their texts say what to do. */
const FASTIFY_MESSAGES: Record<string, string> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'Send the request body as JSON, with Content-Type: application/json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'The request body is not valid JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'The request body is empty: send a JSON object',
  FST_ERR_CTP_BODY_TOO_LARGE: 'The request body is larger than the server accepts',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'The request body is not as long as its Content-Length says',
};

const FALLBACK_CODES: Record<number, string> = {
  400: 'WL_BAD_REQUEST',
  401: 'WL_UNAUTHENTICATED',
  403: 'WL_FORBIDDEN',
  404: 'WL_NOT_FOUND',
  429: 'WL_TOO_MANY_REQUESTS',
};

const body = (statusCode: number, code: string, message: string): ErrorBody => ({
  statusCode,
  code,
  error: STATUS_CODES[statusCode] ?? 'Error',
  message,
});

/** What the client is told; a server fault's own text (a database message, a path) stays in the log. */
export function errorBody(error: FastifyError): ErrorBody {
  if (error.validation) {
    const refusal = new Errors.badRequest(validationMessage(error.validation, error.validationContext));
    return body(400, refusal.code, refusal.message);
  }
  const status = error.statusCode ?? 500;
  const ours = typeof error.code === 'string' && error.code.startsWith('WL_');
  if (status >= 400 && status < 500) {
    const code =
      typeof error.code === 'string' ? error.code : (FALLBACK_CODES[status] ?? `WL_HTTP_${status}`);
    return body(status, code, FASTIFY_MESSAGES[code] ?? error.message);
  }
  if (ours && status >= 500 && status < 600) return body(status, error.code, error.message);
  return body(
    500,
    'WL_INTERNAL_ERROR',
    'The server could not answer this request; the details are in the server log',
  );
}

/** An address the server does not serve. */
export function notFoundBody(request: FastifyRequest): ErrorBody {
  const path = request.url.split('?')[0]!.slice(0, 200);
  return body(404, 'WL_NOT_FOUND', `There is nothing at ${request.method} ${path}`);
}

export function sendNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const answer = notFoundBody(request);
  noteRefusal(request, { code: answer.code });
  return reply.code(404).send(answer);
}

/**
 * One error handler for every route: JSON `{ statusCode, code, error, message }`. Logging is the
 * request log's (one line per request, with the code; the stack only for server faults).
 */
export const errorReplies = fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler((error: FastifyError, request, reply) => {
      const answer = errorBody(error);
      noteRefusal(request, { code: answer.code, error });
      return reply.code(answer.statusCode).send(answer);
    });
  },
  { name: 'wardline-error-replies' },
);
