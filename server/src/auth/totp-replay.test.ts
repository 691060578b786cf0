import { expect, it } from 'vitest';
import type { SqlDatabase } from '../db/engines/engine.js';
import { describeEngines, replicasOf } from '../testing-sql.js';
import { createTotpReplayGuard } from './totp.js';

const addNurse = (db: SqlDatabase, username: string) =>
  db.run(
    `INSERT INTO users (username, role, display_name, organisation_id, created_at, created_by)
     VALUES (?, 'nurse', 'Nurse', 'org-default', ?, 'test')`,
    [username, new Date().toISOString()],
  );

describeEngines('the TOTP replay guard', (open) => {
  it('accepts each time step of an account once, and no earlier step after a later one', async () => {
    const db = await open();
    await addNurse(db, 'nurse.a');
    await addNurse(db, 'nurse.b');
    const guard = createTotpReplayGuard(db);
    expect(await guard.claim('nurse.a', 100)).toBe(true);
    expect(await guard.claim('nurse.a', 100)).toBe(false);
    expect(await guard.claim('nurse.a', 99)).toBe(false);
    expect(await guard.claim('nurse.b', 100)).toBe(true);
    expect(await guard.claim('nurse.a', 101)).toBe(true);
    // Another replica (or this one after a restart) sees the same record.
    expect(await createTotpReplayGuard(db).claim('nurse.a', 101)).toBe(false);
    await db.close();
  });

  it('accepts a code presented to several replicas at once on one of them only', async () => {
    const db = await open();
    await addNurse(db, 'nurse.a');
    const replicas = await replicasOf(db, 5);
    const claims = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        createTotpReplayGuard(replicas[i % replicas.length]!).claim('nurse.a', 500),
      ),
    );
    expect(claims.filter(Boolean)).toHaveLength(1);
    await Promise.all([...new Set(replicas)].map((replica) => replica.close()));
  });
});
