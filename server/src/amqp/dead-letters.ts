import type { FastifyBaseLogger } from 'fastify';
import type { DurableStore } from '../ingest/durable-store.js';
import type { Ingest } from '../ingest/ingest.js';
import { DELIVERY_LIMIT } from './topology.js';

/**
 * What the broker dead-lettered (delivered DELIVERY_LIMIT times, never acknowledged) is stored as
 * a dead letter with its raw bytes, not handled again: it may be what stopped every replica that
 * took it. Nothing is dropped; an operator sees it among the dead letters.
 */
export function deadLetterStore(ingest: Ingest, log: FastifyBaseLogger): DurableStore {
  return {
    async store(messages) {
      for (const m of messages) {
        await ingest.quarantine(
          m.topic,
          m.payload,
          DELIVERY_LIMIT,
          `delivered ${DELIVERY_LIMIT} times by the broker without any replica storing it`,
        );
        log.error(
          { topic: m.topic, deliveries: DELIVERY_LIMIT },
          'message dead-lettered by the broker; set aside',
        );
      }
    },
    close() {},
  };
}
