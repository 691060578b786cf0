import type { Logger } from 'pino';
import { refusalDescriptions, type RefusalCode } from './errors.js';
import { describeIdentity, type Identity } from './policy.js';

export type RefusedAction = 'connect' | 'publish' | 'will' | 'subscribe' | 'packet';

export interface RefusalEvent {
  action: RefusedAction;
  code: RefusalCode;
  clientId?: string | undefined;
  identity?: Identity | undefined;
  /** The user name a refused CONNECT claimed, when there is no identity. */
  username?: string | undefined;
  /** A topic or filter: opaque site/gateway codes only, never a payload. */
  topic?: string | undefined;
  remoteAddress?: string | undefined;
}

export interface RefusalCounts {
  total: number;
  byCode: Partial<Record<RefusalCode, number>>;
}

// Topics from a misbehaving client can be anything; a log line stays a line.
const MAX_LOGGED_TOPIC_LENGTH = 200;

/** Counts every refusal and logs it as one line naming who was refused and why. */
export class Refusals {
  readonly #logger: Logger;
  readonly #byCode = new Map<RefusalCode, number>();
  #total = 0;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  record(event: RefusalEvent): void {
    this.#total += 1;
    this.#byCode.set(event.code, (this.#byCode.get(event.code) ?? 0) + 1);

    const who = event.identity
      ? describeIdentity(event.identity)
      : event.username !== undefined
        ? `unauthenticated (claimed user ${event.username})`
        : 'unauthenticated';
    const topic = event.topic === undefined ? undefined : truncate(event.topic);
    const fields = {
      event: 'refused',
      action: event.action,
      code: event.code,
      clientId: event.clientId,
      username: event.identity?.username ?? event.username,
      role: event.identity?.role,
      topic,
      remoteAddress: event.remoteAddress,
    };
    const where = topic === undefined ? '' : ` on ${JSON.stringify(topic)}`;
    this.#logger.warn(
      fields,
      `${event.action} refused for ${who}, client ${event.clientId ?? '-'}${where}: ${event.code} (${refusalDescriptions[event.code]})`,
    );
  }

  counts(): RefusalCounts {
    return { total: this.#total, byCode: Object.fromEntries(this.#byCode) };
  }
}

function truncate(text: string): string {
  return text.length > MAX_LOGGED_TOPIC_LENGTH ? `${text.slice(0, MAX_LOGGED_TOPIC_LENGTH)}…` : text;
}
