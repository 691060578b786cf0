/**
 * The restore command (`npm run restore -- BACKUP_DIR`; in the image
 * `node server/dist/backup/restore-main.js`): puts a backup made by the backup command in place,
 * with Wardline stopped. Checks every file against the manifest first, refuses while a server or
 * broker still holds the target files, checks the copies (integrity_check, schema version, LevelDB
 * opens with the manifest's entry count), and only then swaps them in. What was there before is
 * moved aside (…before-restore-<time>), never deleted. See docs/operator-backups.md.
 */
import { assertBrokerDataNotInUse, BrokerDataInUseError, inspectBrokerData } from '@wardline/broker/snapshot';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Failure, runCommand, say } from './command.js';
import { assertDatabaseNotInUse, checkDatabase, DatabaseInUseError } from '../db/backup.js';
import { utcStamp } from './backup-command.js';
import { listFiles, readManifest, verifyFiles, type Manifest } from './manifest.js';
import { defaultBrokerDataDir, defaultDatabasePath } from './paths.js';

const USAGE = `Usage: npm run restore -- BACKUP_DIR [--db PATH] [--broker-data DIR]

  --db PATH          where the server's database goes (default $WARDLINE_DB_PATH, or .wardline/server/wardline.db)
  --broker-data DIR  the broker's data directory (default $WARDLINE_BROKER_DATA_DIR, or .wardline/broker)

Stop the server and the broker first. Existing files are moved aside, not deleted.`;

/** Runs the command; resolves to the process exit code. */
export function restoreCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return runCommand('restore', () => restore(argv, env));
}

async function restore(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        db: { type: 'string' },
        'broker-data': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      allowPositionals: true,
    });
  } catch (err) {
    throw new Failure(`${(err as Error).message}\n${USAGE}`, 2);
  }
  if (parsed.values.help) {
    say(USAGE);
    return;
  }
  if (parsed.positionals.length !== 1) throw new Failure(`name one backup directory\n${USAGE}`, 2);

  process.umask(0o077);
  const backup = resolve(parsed.positionals[0]!);
  const databasePath = resolve(parsed.values.db ?? defaultDatabasePath(env));
  const brokerDir = resolve(parsed.values['broker-data'] ?? defaultBrokerDataDir(env));

  const manifest: Manifest = readManifest(backup);
  const problems = await verifyFiles(backup, manifest);
  if (problems.length > 0) {
    throw new Failure(
      `the backup in ${backup} does not match its manifest; nothing restored:\n  ${problems.join('\n  ')}`,
    );
  }

  try {
    assertDatabaseNotInUse(databasePath);
    if (manifest.broker) await assertBrokerDataNotInUse(brokerDir);
  } catch (err) {
    if (err instanceof DatabaseInUseError || err instanceof BrokerDataInUseError)
      throw new Failure(`${err.message}; stop Wardline first (nothing restored)`);
    throw err;
  }

  const stagedDb = `${databasePath}.restoring`;
  const stagedBroker = `${brokerDir}.restoring`;
  const cleanUp = () => {
    rmSync(stagedDb, { force: true });
    rmSync(stagedBroker, { recursive: true, force: true });
  };
  try {
    cleanUp();
    mkdirSync(dirname(databasePath), { recursive: true, mode: 0o700 });
    copyFileSync(join(backup, manifest.database.file), stagedDb);
    chmodSync(stagedDb, 0o600);
    const db = checkDatabase(stagedDb);
    if (db.schemaVersion > db.supportedSchemaVersion) {
      throw new Error(
        `the backup's database has schema version ${db.schemaVersion}, but this Wardline release knows schema ` +
          `versions up to ${db.supportedSchemaVersion}: restore it with the release that made it ` +
          `(${manifest.wardlineVersion}) or a later one`,
      );
    }
    if (manifest.broker) {
      mkdirSync(dirname(brokerDir), { recursive: true, mode: 0o700 });
      cpSync(join(backup, manifest.broker.dir), stagedBroker, { recursive: true });
      chmodSync(stagedBroker, 0o700);
      for (const file of listFiles(stagedBroker)) chmodSync(join(stagedBroker, file), 0o600);
      const counts = await inspectBrokerData(stagedBroker);
      if (counts.entries !== manifest.broker.entries)
        throw new Error(
          `the broker copy holds ${counts.entries} entries, the manifest says ${manifest.broker.entries}`,
        );
    }
  } catch (err) {
    cleanUp();
    throw new Failure(`${(err as Error).message}; nothing restored`);
  }

  const stamp = utcStamp();
  const movedAside: string[] = [];
  const moveAside = (path: string) => {
    if (!existsSync(path)) return;
    const aside = `${path}.before-restore-${stamp}`;
    renameSync(path, aside);
    movedAside.push(aside);
  };
  // A WAL or shared-memory file left beside the restored database would be applied to it: they
  // go with the database they belong to.
  for (const file of [databasePath, `${databasePath}-wal`, `${databasePath}-shm`]) moveAside(file);
  renameSync(stagedDb, databasePath);
  if (manifest.broker) {
    moveAside(brokerDir);
    renameSync(stagedBroker, brokerDir);
  }

  const { database, broker } = manifest;
  say(`restored the backup taken ${manifest.startedAt} (Wardline ${manifest.wardlineVersion})`);
  say(
    `  database  ${databasePath}: schema ${database.schemaVersion}, observations ${database.counts.observations ?? 0}`,
  );
  say(
    broker
      ? `  broker    ${brokerDir}: ${broker.entries} entries, ${broker.counts.queuedMessages} queued messages`
      : '  broker    not in this backup: its data directory was left as it was',
  );
  if (movedAside.length > 0)
    say(
      `What was there before was moved aside (delete it once you are satisfied):\n  ${movedAside.join('\n  ')}`,
    );
}
