/**
 * The one query layer every repository uses, whichever engine holds the records: SQLite
 * embedded (the single-box default) or PostgreSQL (shared by several server replicas).
 *
 * Queries are written once, in the SQL both engines understand (see README.md beside this file):
 * `?` placeholders, `RETURNING` instead of last-insert ids, `ON CONFLICT` instead of `INSERT OR`,
 * and the few functions that differ taken from `dialect`.
 */

/** What a query parameter may be: explicit text for times (ISO 8601 UTC), never a Date. */
export type SqlValue = string | number | bigint | null | Uint8Array;

export interface SqlRunResult {
  /** Rows inserted, updated or deleted. */
  readonly changes: number;
}

/** How a failed statement broke the schema's rules, the same on both engines. */
export type ConstraintKind = 'unique' | 'foreign_key' | 'check' | 'not_null';

export interface SqlDialect {
  readonly name: 'sqlite' | 'postgres';
  /** The larger of two values (SQLite's two-argument max, PostgreSQL's GREATEST). */
  greatest(a: string, b: string): string;
  /** The smaller of two values. */
  least(a: string, b: string): string;
  /** A table of the text values of a JSON array parameter, one column named `value`. */
  jsonArrayValues(parameter: string): string;
  /** A JSON array of an expression over a group's rows, as text. */
  jsonGroupArray(expression: string): string;
}

export interface SqlDatabase {
  readonly dialect: SqlDialect;
  /** Every row of a query. */
  all<Row>(sql: string, params?: readonly SqlValue[]): Promise<Row[]>;
  /** The first row of a query, if any. */
  get<Row>(sql: string, params?: readonly SqlValue[]): Promise<Row | undefined>;
  /** A statement that returns no rows. */
  run(sql: string, params?: readonly SqlValue[]): Promise<SqlRunResult>;
  /** Several statements without parameters (schema changes). */
  exec(sql: string): Promise<void>;
  /**
   * Runs `work` in one transaction: committed when it resolves, rolled back when it throws.
   * Every query made while it runs (through this object, by any repository) belongs to it;
   * a transaction begun inside another is a savepoint of it. Keep the work to the database:
   * on SQLite no other work reaches the connection until it ends.
   */
  transaction<T>(work: () => Promise<T>): Promise<T>;
  /**
   * Inside a transaction: waits for, then holds until the transaction ends, an exclusive lock on
   * `name`, so that such transactions of every replica commit one after another (a feed whose
   * version numbers must become visible in order). SQLite has one writer at a time already.
   */
  lock(name: string): Promise<void>;
  /** Whether the caller is inside a transaction of this database. */
  inTransaction(): boolean;
  /** Which rule a failed statement broke, or null when the error is not a constraint's. */
  constraintViolated(error: unknown): ConstraintKind | null;
  close(): Promise<void>;
}
