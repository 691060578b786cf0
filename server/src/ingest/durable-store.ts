import type { FastifyBaseLogger } from 'fastify';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeFailure, storageFailureCode } from './failure-kind.js';
import type { Ingest, IngestOutcome } from './ingest.js';
import type { SessionMonitor } from './monitor.js';

/** A message as a broker handed it over, before it is acknowledged. */
export interface InboundMessage {
  topic: string;
  payload: Uint8Array;
}

export interface DurableStoreOptions {
  ingest: Ingest;
  log: FastifyBaseLogger;
  monitor: SessionMonitor;
  /**
   * Called once per committed group with its outcomes in commit order, before onOutcome is called
   * for each of them: to push the group's readings to dashboards in one event per ward.
   */
  onOutcomes?: (outcomes: readonly IngestOutcome[]) => void;
  /** Called for each message once it is durable (after onOutcomes for its group): alerts. */
  onOutcome: (outcome: IngestOutcome) => void | Promise<void>;
  /** Attempts at a message that keeps failing for its content before it is dead-lettered. */
  maxContentAttempts?: number;
  /** Pause before the second attempt at such a message; doubled before each further one. */
  contentRetryDelayMs?: number;
}

export interface DurableStore {
  /**
   * Resolves once every message is durable (stored, or dead-lettered for its content), so the
   * caller may acknowledge them; rejects with Closing if the store closed first.
   */
  store(messages: readonly InboundMessage[]): Promise<void>;
  /** Stops retrying: a store in progress rejects with Closing and acknowledges nothing. */
  close(): void;
}

export const MAX_CONTENT_ATTEMPTS = 3;
const CONTENT_RETRY_DELAY_MS = 100;
const MAX_STORAGE_RETRY_DELAY_MS = 5000;

export class Closing extends Error {
  constructor() {
    super('ingest source closing');
  }
}

/**
 * What every ingest source (an MQTT session, an AMQP consumer) does with the messages a broker
 * handed over, whatever acknowledging means to that broker.
 *
 * Failures are kept apart (bulkheads, see failure-kind.ts): while storage fails, messages are held
 * and retried; a message that fails for its own content is retried a few times, counted in the
 * database so that the count survives restarts and replicas, then dead-lettered with its raw bytes,
 * so it never holds up the source again.
 */
export function createDurableStore(options: DurableStoreOptions): DurableStore {
  const { log, ingest, monitor } = options;
  const maxContentAttempts = options.maxContentAttempts ?? MAX_CONTENT_ATTEMPTS;
  const contentRetryDelayMs = options.contentRetryDelayMs ?? CONTENT_RETRY_DELAY_MS;
  const stop = new AbortController();

  /** Waits, unless the source is closing (then throws, so nothing more is stored or acknowledged). */
  async function pause(ms: number): Promise<void> {
    try {
      await sleep(ms, undefined, { signal: stop.signal });
    } catch {
      throw new Closing();
    }
  }

  /**
   * Counts a content failure and either dead-letters the message (enough attempts) or lets the
   * caller try again. Returns the outcome once the message is set aside, else null.
   */
  async function onContentFailure(message: InboundMessage, err: unknown): Promise<IngestOutcome | null> {
    const error = describeFailure(err);
    const attempts = await ingest.recordFailure(message.topic, message.payload, error);
    monitor.contentFailed();
    log.error(
      { topic: message.topic, attempts, maxAttempts: maxContentAttempts, err: error },
      'handling message failed for its content',
    );
    if (attempts < maxContentAttempts) return null;
    const outcome = await ingest.quarantine(message.topic, message.payload, attempts, error);
    log.error({ topic: message.topic, attempts }, 'message set aside as PROCESSING_FAILED; acknowledging it');
    return outcome;
  }

  /** Stores one message: holds it while storage fails, sets it aside if its content keeps failing. */
  async function storeOne(message: InboundMessage): Promise<IngestOutcome> {
    let storageAttempts = 0;
    let contentAttempts = 0;
    for (;;) {
      if (stop.signal.aborted) throw new Closing();
      let failure: unknown;
      try {
        // A count left by earlier failures (also before a restart) goes when the message goes through.
        return await ingest.handle(message.topic, message.payload, { clearFailures: true });
      } catch (err) {
        failure = err;
      }
      try {
        if (storageFailureCode(failure) === null) {
          const outcome = await onContentFailure(message, failure);
          if (outcome) return outcome;
          await pause(contentRetryDelayMs * 2 ** contentAttempts++);
          continue;
        }
      } catch (err) {
        if (err instanceof Closing) throw err;
        // Counting or setting aside failed too: that is storage failing; hold and retry below.
        failure = err;
      }
      const code = storageFailureCode(failure) ?? 'UNKNOWN';
      monitor.storageFailed(code);
      const delay = Math.min(MAX_STORAGE_RETRY_DELAY_MS, 100 * 2 ** storageAttempts++);
      log.error(
        { err: describeFailure(failure), code, topic: message.topic, attempt: storageAttempts },
        'storing message failed for storage reasons; holding it and retrying',
      );
      await pause(delay);
    }
  }

  /**
   * Stores a group in one transaction; if that fails, one message at a time, so that one bad
   * message fails alone and a group never waits for room that only a smaller step would find.
   */
  async function storeGroup(messages: readonly InboundMessage[]): Promise<IngestOutcome[]> {
    if (stop.signal.aborted) throw new Closing();
    try {
      return await ingest.handleGroup(messages);
    } catch (err) {
      log.warn({ err: describeFailure(err), messages: messages.length }, 'group not stored; one by one');
    }
    const outcomes: IngestOutcome[] = [];
    for (const message of messages) outcomes.push(await storeOne(message));
    return outcomes;
  }

  return {
    async store(messages) {
      const outcomes = await storeGroup(messages);
      monitor.completed(messages.length);
      try {
        options.onOutcomes?.(outcomes);
      } catch (err) {
        log.error({ err: describeFailure(err) }, 'real-time fan-out failed');
      }
      const publishFailed = (err: unknown) =>
        log.error({ err: describeFailure(err) }, 'alert publishing failed');
      for (const outcome of outcomes) {
        try {
          // Not awaited: the group is durable, its acknowledgements need not wait for pushes.
          Promise.resolve(options.onOutcome(outcome)).catch(publishFailed);
        } catch (err) {
          publishFailed(err);
        }
      }
    },
    close() {
      stop.abort();
    },
  };
}
