import type { FastifyBaseLogger } from 'fastify';
import type { Alerting } from '../alerts/engine.js';
import type { News2HistoryStore } from '../alerts/news2-history.js';
import type { IngestOutcome } from './ingest.js';

/**
 * What runs in the ingest transaction once its messages are stored: the alert rules (each patient
 * once for the group), then the NEWS2 history from the summaries the rules scored. The history
 * commits with the group (one WAL sync for the group, not one per message) and scores nobody
 * twice; the fan-out after commit pushes the events it recorded. Should recording fail, its
 * savepoint alone rolls back, the readings and alerts still commit, and the fan-out records the
 * history afresh after commit. The ingest awaits it inside its transaction.
 */
export function scoreAfterStore(
  alerting: Pick<Alerting, 'evaluateGroup' | 'news2After'>,
  history: Pick<News2HistoryStore, 'trackAll'>,
  log: FastifyBaseLogger,
): (outcomes: readonly IngestOutcome[], at: Date) => Promise<void> {
  return async (outcomes, at) => {
    await alerting.evaluateGroup(outcomes, at);
    try {
      await history.trackAll(outcomes, (outcome) => alerting.news2After(outcome));
    } catch (err) {
      log.error({ err: (err as Error).message }, 'NEWS2 history not recorded with the readings');
    }
  };
}
