import { createContext } from '../context.js';
import { openSqlDatabase } from '../db/engines/open.js';
import type { ScryptCost } from '@wardline/broker';
import { seedDemo, type SeedWard } from './seed.js';

/**
 * Seeds a database (a SQLite file, or a postgres:// URL) before the server first opens it: large simulated fleets (benchmarks,
 * fault tests) are registered in one transaction instead of through thousands of API calls.
 */
export async function seedDatabaseFile(
  path: string,
  fleet: SeedWard[],
  password: string,
  cost?: ScryptCost,
): Promise<void> {
  const sql = await openSqlDatabase(path);
  try {
    await seedDemo(createContext(sql), fleet, password, cost);
  } finally {
    await sql.close();
  }
}
