import type { Logger } from 'pino';
import { describeIdentity, type Identity } from '../policy.js';
import { rabbitRefusalDescriptions, type RabbitRefusalCode } from './codes.js';

export type RabbitCheck = 'user' | 'vhost' | 'resource' | 'topic';

export interface RabbitRefusalEvent {
  check: RabbitCheck;
  code: RabbitRefusalCode;
  username: string | undefined;
  identity?: Identity | undefined;
  clientId?: string | undefined;
  /** What was asked for: a vhost, `queue foo (configure)`, a topic as MQTT; never a password. */
  subject?: string | undefined;
}

export type RabbitRefusalCounts = Map<string, number>;

// Whatever a hostile client sends ends up in these fields; a log line stays a line.
const MAX_FIELD_LENGTH = 200;

/** Logs each refusal as one line and counts it by check and code (`{check}\0{code}`). */
export class RabbitRefusals {
  readonly #logger: Logger;
  readonly #counts: RabbitRefusalCounts = new Map();

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  record(event: RabbitRefusalEvent): void {
    const key = `${event.check}\u0000${event.code}`;
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
    const username = clip(event.username);
    const clientId = clip(event.clientId);
    const subject = clip(event.subject);
    const who = event.identity
      ? describeIdentity(event.identity)
      : username === undefined
        ? 'anonymous'
        : `user ${JSON.stringify(username)}`;
    this.#logger.warn(
      {
        event: 'refused',
        check: event.check,
        code: event.code,
        username,
        role: event.identity?.role,
        clientId,
        subject,
      },
      `RabbitMQ ${event.check} check refused for ${who}, client ${clientId ?? '-'}` +
        `${subject === undefined ? '' : ` on ${JSON.stringify(subject)}`}: ${event.code} (${rabbitRefusalDescriptions[event.code]})`,
    );
  }

  /** Refusals so far by check and code. */
  counts(): { check: RabbitCheck; code: RabbitRefusalCode; count: number }[] {
    return [...this.#counts].map(([key, count]) => {
      const [check, code] = key.split('\u0000') as [RabbitCheck, RabbitRefusalCode];
      return { check, code, count };
    });
  }
}

function clip(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  return text.length > MAX_FIELD_LENGTH ? `${text.slice(0, MAX_FIELD_LENGTH)}…` : text;
}
