import { expect, it } from 'vitest';
import { createUserRepository } from '../auth/user-repository.js';
import { describeEngines } from '../testing-sql.js';
import { createAccountTokens } from './account-tokens.js';
import { createOrganisationRepository } from './organisation-repository.js';

describeEngines('one-time links', (open) => {
  async function setUp() {
    const sql = await open();
    const users = createUserRepository(sql);
    await users.upsert({ username: 'sam', passwordHash: null, role: 'nurse', displayName: 'Sam' });
    return { sql, users, tokens: createAccountTokens(sql) };
  }

  it('is used once even when two requests use it at once; a failed use leaves it working', async () => {
    const { users, tokens } = await setUp();
    const { token } = await tokens.issue('sam', 'invite', 'admin');
    await expect(
      tokens.consume(token, async () => {
        throw new Error('the password was refused');
      }),
    ).rejects.toThrow('refused');
    expect(await tokens.inspect(token)).toMatchObject({ username: 'sam', purpose: 'invite' });

    const uses = await Promise.all(
      [1, 2].map((n) =>
        tokens.consume(token, async (record) => {
          await users.setPassword(record.username, `hash-${n}`);
          return n;
        }),
      ),
    );
    expect(uses.filter((use) => use !== undefined)).toHaveLength(1);
    expect((await users.find('sam'))?.passwordHash).toBe(`hash-${uses.find((u) => u !== undefined)}`);
    expect(await tokens.inspect(token)).toBeUndefined();
    expect(await tokens.neverSetUp('sam')).toBe(false);
  });

  it('voids earlier links when a new one is issued, and expires them', async () => {
    const { tokens } = await setUp();
    expect(await tokens.neverSetUp('sam')).toBe(true);
    const first = await tokens.issue('sam', 'invite', 'admin');
    const second = await tokens.issue('sam', 'reset', 'admin');
    expect(await tokens.inspect(first.token)).toBeUndefined();
    expect(await tokens.inspect(second.token)).toMatchObject({ purpose: 'reset' });
    const later = new Date(Date.now() + tokens.lifetimes.resetMs + 1);
    expect(await tokens.inspect(second.token, later)).toBeUndefined();
    expect(await tokens.consume(second.token, async () => 'used', later)).toBeUndefined();
    await tokens.voidFor('sam');
    expect(await tokens.inspect(second.token)).toBeUndefined();
  });

  it('keeps organisations: created with an opaque id, renamed, made to require TOTP, closed once', async () => {
    const organisations = createOrganisationRepository(await open());
    const created = await organisations.create('Riverside Trust', new Date('2026-11-01T00:00:00Z'));
    expect(created).toMatchObject({ name: 'Riverside Trust', requireAdminTotp: false, closedAt: null });
    expect(created.id).toMatch(/^org-[0-9a-f]{12}$/);
    expect(
      await organisations.update(created.id, { requireAdminTotp: true, name: 'Riverside' }),
    ).toMatchObject({
      name: 'Riverside',
      requireAdminTotp: true,
    });
    const closed = await organisations.close(created.id, new Date('2026-11-02T00:00:00Z'));
    expect((await organisations.close(created.id))?.closedAt).toBe(closed?.closedAt);
    expect((await organisations.list()).map((o) => o.name)).toEqual(['Riverside', 'Wardline organisation']);
    expect(await organisations.get('org-none')).toBeUndefined();
  });
});
