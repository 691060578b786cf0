/**
 * PostgreSQL SQLSTATE classes and codes that mean the server or the connection, not the statement:
 * 08 connection, 53 resources (disk full, out of memory, too many connections), 57 operator
 * intervention (shutdown, cancelled), 58 system (I/O), XX internal (corruption); 40001 and 40P01
 * a serialisation failure or deadlock (another transaction's doing: the same work succeeds again);
 * 25006 a read-only server (a standby); 55P03 a lock not available.
 */
const POSTGRES_STORAGE_CLASSES = ['08', '53', '57', '58', 'XX'];
const POSTGRES_STORAGE_CODES = ['40001', '40P01', '25006', '55P03'];
/** Network failures reaching the database server (Node's system error codes). */
const NETWORK_CODES = [
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
];
/** What node-postgres throws, without a code, when it has no connection to give or lost one. */
const POSTGRES_CONNECTION_MESSAGES = [
  /^timeout exceeded when trying to connect/i,
  /^Connection terminated/i,
  /connection error and is not queryable/i,
  /^Cannot use a pool after calling end/i,
];

/** A PostgreSQL server error: a five-character SQLSTATE and a severity (node-postgres' DatabaseError). */
function isPostgresError(err: unknown, code: string): boolean {
  return /^[0-9A-Z]{5}$/.test(code) && typeof (err as { severity?: unknown }).severity === 'string';
}

/**
 * A code for the failure when `err` says PostgreSQL (or the way to it) is failing: POSTGRES_57P01,
 * ECONNREFUSED, POSTGRES_CONNECTION; else null.
 */
export function postgresUnavailable(err: unknown): string | null {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') {
    const message = err instanceof Error ? err.message : '';
    return POSTGRES_CONNECTION_MESSAGES.some((m) => m.test(message)) ? 'POSTGRES_CONNECTION' : null;
  }
  if (NETWORK_CODES.includes(code)) return code;
  if (
    isPostgresError(err, code) &&
    (POSTGRES_STORAGE_CODES.includes(code) || POSTGRES_STORAGE_CLASSES.includes(code.slice(0, 2)))
  )
    return `POSTGRES_${code}`;
  return null;
}
