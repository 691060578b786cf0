/**
 * Repository tests run on both engines the records can live in: the embedded SQLite file and a
 * real PostgreSQL server (started once per test file, on first use, from Debian's binaries).
 */
import { beforeAll, describe } from 'vitest';
import type { SqlDatabase } from './db/engines/engine.js';
import { openTestSql, testEngines, type TestEngine } from './testing-database.js';
import { testPostgres } from './testing-postgres.js';

export { openTestSql, replicasOf, testEngines, type TestEngine } from './testing-database.js';
export { testPostgres };

/**
 * Starts the file's PostgreSQL server before the enclosing block's tests (within the hook's
 * timeout, not a test's); the suite's set-up file stops it after the file.
 */
export function usePostgres(): void {
  beforeAll(() => testPostgres(), 60_000);
}

/** `describe` once per engine; `open` gives a fresh migrated database of that engine. */
export function describeEngines(
  name: string,
  body: (open: () => Promise<SqlDatabase>, engine: TestEngine) => void,
): void {
  describe.each(testEngines)(`${name} (%s)`, (engine) => {
    if (engine === 'postgres') usePostgres();
    body(() => openTestSql(engine), engine);
  });
}
