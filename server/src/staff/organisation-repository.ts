import type { Organisation } from '@wardline/protocol';
import { randomBytes } from 'node:crypto';
import type { SqlDatabase } from '../db/engines/engine.js';

const columns = `id, name, require_admin_totp AS "requireAdminTotp", created_at AS "createdAt", closed_at AS "closedAt"`;
type Row = Omit<Organisation, 'requireAdminTotp'> & { requireAdminTotp: number };
const fromRow = ({ requireAdminTotp, ...row }: Row): Organisation => ({
  ...row,
  requireAdminTotp: requireAdminTotp === 1,
});

export function createOrganisationRepository(sql: SqlDatabase) {
  async function get(id: string): Promise<Organisation | undefined> {
    const row = await sql.get<Row>(`SELECT ${columns} FROM organisations WHERE id = ?`, [id]);
    return row && fromRow(row);
  }
  return {
    async list(): Promise<Organisation[]> {
      return (await sql.all<Row>(`SELECT ${columns} FROM organisations ORDER BY name, id`)).map(fromRow);
    },

    get,

    /** A new organisation with an opaque id (ids appear in URLs and logs; names do not). */
    async create(name: string, now = new Date()): Promise<Organisation> {
      const id = `org-${randomBytes(6).toString('hex')}`;
      await sql.run(`INSERT INTO organisations (id, name, created_at) VALUES (?, ?, ?)`, [
        id,
        name,
        now.toISOString(),
      ]);
      return (await get(id))!;
    },

    async update(
      id: string,
      change: { name?: string; requireAdminTotp?: boolean },
    ): Promise<Organisation | undefined> {
      if (change.name !== undefined)
        await sql.run(`UPDATE organisations SET name = ? WHERE id = ?`, [change.name, id]);
      if (change.requireAdminTotp !== undefined)
        await sql.run(`UPDATE organisations SET require_admin_totp = ? WHERE id = ?`, [
          change.requireAdminTotp ? 1 : 0,
          id,
        ]);
      return get(id);
    },

    async close(id: string, now = new Date()): Promise<Organisation | undefined> {
      await sql.run(`UPDATE organisations SET closed_at = coalesce(closed_at, ?) WHERE id = ?`, [
        now.toISOString(),
        id,
      ]);
      return get(id);
    },
  };
}
export type OrganisationRepository = ReturnType<typeof createOrganisationRepository>;
