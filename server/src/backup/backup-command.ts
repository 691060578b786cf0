/**
 * The backup command (`npm run backup`; in the image `node server/dist/backup/backup-main.js`): a
 * consistent online backup of a running Wardline, into a new owner-only directory holding the
 * server's database (wardline.db), the broker's data (broker/, a LevelDB directory) and
 * manifest.json. See docs/operator-backups.md.
 *
 * The broker's snapshot is taken first, then the database. A reading the broker acknowledged to
 * a gateway before the backup began is then in one of the two: either it still waits in the
 * broker for the server (so it is in the snapshot), or the server acknowledged it to the broker,
 * which it does only after committing it, before the snapshot, so before the database copy. The
 * other order could miss a reading delivered between the two copies.
 */
import { fetchBrokerSnapshot } from '@wardline/broker/admin';
import {
  chmodSync,
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Failure, runCommand, say } from './command.js';
import { backupDatabase } from '../db/backup.js';
import {
  BROKER_DIR,
  DATABASE_FILE,
  hashFiles,
  listFiles,
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  type Manifest,
} from './manifest.js';
import {
  brokerAdminToken,
  defaultBrokerAdminUrl,
  defaultDatabasePath,
  wardlineHome,
  wardlineVersion,
} from './paths.js';

const USAGE = `Usage: npm run backup -- [--out DIR] [--db PATH] [--broker-url URL] [--without-broker]

  --out DIR          new directory for the backup (default $WARDLINE_HOME/backups/<UTC time>)
  --db PATH          the server's database (default $WARDLINE_DB_PATH, or .wardline/server/wardline.db)
  --broker-url URL   the broker's health/admin port (default http://127.0.0.1:$BROKER_HEALTH_PORT, port 8081)
  --without-broker   back up the database only (a broker without a data directory)

The broker must run with WARDLINE_BROKER_ADMIN_TOKEN set; give the same token to this command.`;

function fsync(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

const describeCounts = (counts: Record<string, number | string[] | undefined>) =>
  Object.entries(counts)
    .map(([name, n]) => `${name} ${Array.isArray(n) ? n.length : n}`)
    .join(', ');

export const utcStamp = (at = new Date()): string =>
  at
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replaceAll(':', '-');

/** Runs the command; resolves to the process exit code. */
export function backupCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return runCommand('backup', () => backup(argv, env));
}

async function backup(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        out: { type: 'string' },
        db: { type: 'string' },
        'broker-url': { type: 'string' },
        'without-broker': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      allowPositionals: false,
    }).values;
  } catch (err) {
    throw new Failure(`${(err as Error).message}\n${USAGE}`, 2);
  }
  if (args.help) {
    say(USAGE);
    return;
  }

  // The backup holds patients' data: nothing in it is for anyone but its owner.
  process.umask(0o077);
  const out = resolve(args.out ?? join(wardlineHome(env), 'backups', utcStamp()));
  const databasePath = resolve(args.db ?? defaultDatabasePath(env));
  const brokerUrl = args['broker-url'] ?? defaultBrokerAdminUrl(env);
  const withBroker = !args['without-broker'];
  const token = withBroker ? brokerAdminToken(env) : null;
  if (withBroker && !token)
    throw new Failure('WARDLINE_BROKER_ADMIN_TOKEN is not set (the token the broker was started with)', 2);
  if (!existsSync(databasePath))
    throw new Failure(`no database at ${databasePath} (set --db or WARDLINE_DB_PATH)`, 2);
  if (existsSync(out) && readdirSync(out).length > 0)
    throw new Failure(`${out} already exists and is not empty`, 2);

  const created = !existsSync(out);
  try {
    mkdirSync(out, { recursive: true, mode: 0o700 });
    chmodSync(out, 0o700);
    const startedAt = new Date();

    let broker: Manifest['broker'] = null;
    if (token) {
      const began = performance.now();
      const snapshot = await fetchBrokerSnapshot({ url: brokerUrl, token, directory: join(out, BROKER_DIR) });
      broker = {
        dir: BROKER_DIR,
        source: brokerUrl,
        entries: snapshot.entries,
        counts: snapshot.counts,
        ms: Math.round(performance.now() - began),
      };
    }

    const began = performance.now();
    const summary = await backupDatabase(databasePath, join(out, DATABASE_FILE));
    const database = {
      ...summary,
      file: DATABASE_FILE,
      source: databasePath,
      ms: Math.round(performance.now() - began),
    };

    for (const file of listFiles(out)) {
      chmodSync(join(out, file), 0o600);
      fsync(join(out, file));
    }
    if (broker) chmodSync(join(out, BROKER_DIR), 0o700);
    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      wardlineVersion: wardlineVersion(),
      database,
      broker,
      files: await hashFiles(out),
    };
    writeFileSync(join(out, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
    // On disk before the command says it is done: the manifest last, then the directories.
    fsync(join(out, MANIFEST_FILE));
    if (broker) fsync(join(out, BROKER_DIR));
    fsync(out);

    const total = Object.values(manifest.files).reduce((n, f) => n + f.bytes, 0);
    say(`backup written to ${out} (${(total / 1024 / 1024).toFixed(1)} MiB)`);
    say(
      `  database  schema ${database.schemaVersion}, ${(database.bytes / 1024 / 1024).toFixed(1)} MiB in ${database.ms} ms; ` +
        describeCounts(database.counts),
    );
    if (broker) {
      const { serverSessions, ...counts } = broker.counts;
      say(
        `  broker    ${broker.entries} entries in ${broker.ms} ms; ${describeCounts(counts)}; ` +
          `server sessions ${serverSessions.join(', ') || 'none'}`,
      );
    } else {
      say('  broker    not backed up (--without-broker)');
    }
    say(`Restore with: npm run restore -- ${out}   (with Wardline stopped)`);
  } catch (err) {
    if (created) rmSync(out, { recursive: true, force: true });
    else for (const entry of readdirSync(out)) rmSync(join(out, entry), { recursive: true, force: true });
    throw new Failure(`${(err as Error).message}; nothing was kept`);
  }
}
