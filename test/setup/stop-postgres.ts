// Every test file: the PostgreSQL server it started (repository tests on both engines, or the
// whole suite with WARDLINE_TEST_DATABASE=postgres) is stopped and its data removed after the
// file's own clean-up, so no server outlives its file.
import { afterAll } from 'vitest';
import { stopTestPostgres } from '../../server/src/testing-postgres.js';

afterAll(stopTestPostgres, 60_000);
