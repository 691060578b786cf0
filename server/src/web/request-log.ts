import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

interface Refusal {
  /** The code sent to the client. */
  code: string;
  error?: Error;
}

/** What the error and not-found handlers answered, by request: the request's one log line says it. */
const refusals = new WeakMap<FastifyRequest, Refusal>();

export function noteRefusal(request: FastifyRequest, refusal: Refusal): void {
  refusals.set(request, refusal);
}

/** Polled by monitoring, or the dashboard's own files: routine, so at debug. */
const QUIET_ROUTES = new Set(['/api/health', '/metrics']);
const API_PATH = /^\/(api|fhir|metrics)(\/|$)/;

function isQuiet(method: string, path: string, route: string | undefined): boolean {
  if (route && QUIET_ROUTES.has(route)) return true;
  // Everything else a browser GETs outside the API is a static file or the single-page app.
  return (method === 'GET' || method === 'HEAD') && !API_PATH.test(path);
}

/**
 * One line per request, written when the answer has gone: method, route (the pattern, so no
 * patient id from the path lands in the log), status and time. Fastify's own pair of lines
 * ("incoming request", "request completed") and its error-handler line are off. Refusals (4xx)
 * carry their code and no stack: they are the client's mistake, not the server's; 5xx carry the
 * error with its stack.
 */
export class RequestLog extends LogController {
  override incomingRequest(): void {}

  override defaultErrorLog(): void {}

  override routeNotFound(): void {}

  override requestCompleted(
    streamError: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const refusal = refusals.get(request);
    const status = reply.statusCode;
    const path = request.url.split('?')[0]!.slice(0, 200);
    const route = request.routeOptions.url;
    const ms = Math.round(reply.elapsedTime * 10) / 10;
    const fields = { method: request.method, route: route ?? path, status, ms };
    const msg = `${request.method} ${route ?? path} ${status} ${ms} ms`;
    const code = refusal ? { code: refusal.code } : {};
    const err = refusal?.error ?? streamError ?? undefined;
    const quiet = isQuiet(request.method, path, route);
    if (err && (status >= 500 || streamError)) {
      reply.log.error({ ...fields, ...code, err }, msg);
    } else if (quiet && (status < 400 || (route && QUIET_ROUTES.has(route)))) {
      // A degraded /api/health answers 503 on purpose; the cause is logged where it happens.
      reply.log.debug(fields, msg);
    } else if (status >= 500) {
      reply.log.warn({ ...fields, ...code }, msg);
    } else if (status >= 400) {
      reply.log.info({ ...fields, ...code }, msg);
    } else {
      reply.log.info(fields, msg);
    }
  }
}
