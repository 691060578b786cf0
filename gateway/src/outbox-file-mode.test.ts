import { chmodSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteOutbox } from './durable-outbox.js';

const mode = (path: string) => statSync(path).mode & 0o777;

describe('outbox files', () => {
  let previousUmask: number;
  beforeEach(() => {
    previousUmask = process.umask(0o022);
  });
  afterEach(() => {
    process.umask(previousUmask);
  });

  it('are readable by the gateway user only, also when an older version left them open', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'wardline-outbox-modes-')), 'outbox');
    const path = join(dir, 'outbox.db');
    const first = new SqliteOutbox({ path });
    first.enqueue({
      id: '00000000-0000-4000-8000-000000000001',
      deviceId: 'c0:ff:ee:01:00:01',
      measuredAt: '2025-03-01T08:30:15Z',
      seq: 1,
      kind: 'blood_pressure',
      values: { systolic: { value: 120, unit: 'mmHg' }, diastolic: { value: 80, unit: 'mmHg' } },
    });
    expect(mode(dir)).toBe(0o700);
    for (const file of [path, `${path}-wal`, `${path}-shm`]) expect(mode(file), file).toBe(0o600);
    first.close();

    chmodSync(path, 0o644);
    const second = new SqliteOutbox({ path });
    expect(mode(path)).toBe(0o600);
    second.close();
  });
});
