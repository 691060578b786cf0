import type { Db } from './db/database.js';
import { createDeadLetterRepository } from './db/dead-letter-repository.js';
import { createDeviceRepository } from './db/device-repository.js';
import { createObservationRepository } from './db/observation-repository.js';
import { createWardRepository } from './db/ward-repository.js';
import { createUserRepository } from './auth/user-repository.js';
import { createIngestMetrics } from './ingest/metrics.js';

/** Everything route plugins share, created once per server and registered on the app. */
export function createContext(db: Db) {
  return {
    db,
    wards: createWardRepository(db),
    devices: createDeviceRepository(db),
    observations: createObservationRepository(db),
    deadLetters: createDeadLetterRepository(db),
    users: createUserRepository(db),
    metrics: createIngestMetrics(),
    startedAt: Date.now(),
    mqttConnected: (): boolean => false,
  };
}
export type ServerContext = ReturnType<typeof createContext>;
