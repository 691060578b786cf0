/**
 * A backup directory's manifest.json: when and from what it was taken, the database's schema
 * version and counts, the broker data's counts, and the size and SHA-256 of every file, which
 * restore checks before it puts anything in place. Shared by the backup and restore commands.
 */
import type { BrokerDataCounts } from '@wardline/broker/snapshot';
import type { DatabaseSummary } from '../db/backup.js';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_FORMAT = 'wardline-backup/1';
export const DATABASE_FILE = 'wardline.db';
export const BROKER_DIR = 'broker';

export interface FileEntry {
  bytes: number;
  sha256: string;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  startedAt: string;
  finishedAt: string;
  wardlineVersion: string;
  database: DatabaseSummary & { file: string; source: string; ms: number };
  /** Null when the backup was taken without the broker (--without-broker). */
  broker: { dir: string; source: string; entries: number; counts: BrokerDataCounts; ms: number } | null;
  /** Every file of the backup except the manifest, by path relative to the backup directory. */
  files: Record<string, FileEntry>;
}

function sha256(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** Every regular file under `dir`, as paths relative to it with '/' separators, sorted. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) walk(path);
      else out.push(relative(dir, path).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

export async function hashFiles(dir: string): Promise<Record<string, FileEntry>> {
  const files: Record<string, FileEntry> = {};
  for (const file of listFiles(dir)) {
    if (file === MANIFEST_FILE) continue;
    const path = join(dir, file);
    files[file] = { bytes: statSync(path).size, sha256: await sha256(path) };
  }
  return files;
}

export function readManifest(dir: string): Manifest {
  const path = join(dir, MANIFEST_FILE);
  if (!existsSync(path)) throw new Error(`${dir} is not a Wardline backup: no ${MANIFEST_FILE}`);
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  if (manifest.format !== MANIFEST_FORMAT)
    throw new Error(
      `${path}: unknown format ${JSON.stringify(manifest.format)}, expected ${MANIFEST_FORMAT}`,
    );
  return manifest;
}

/** What differs between the backup directory and its manifest: nothing when the list is empty. */
export async function verifyFiles(dir: string, manifest: Manifest): Promise<string[]> {
  const problems: string[] = [];
  const actual = await hashFiles(dir);
  for (const [file, expected] of Object.entries(manifest.files)) {
    const found = actual[file];
    if (!found) problems.push(`${file} is missing`);
    else if (found.bytes !== expected.bytes)
      problems.push(`${file} has ${found.bytes} bytes, the manifest says ${expected.bytes}`);
    else if (found.sha256 !== expected.sha256) problems.push(`${file} does not match its SHA-256`);
  }
  for (const file of Object.keys(actual)) {
    if (!(file in manifest.files)) problems.push(`${file} is not in the manifest`);
  }
  return problems;
}
