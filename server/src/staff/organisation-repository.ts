import type { Organisation } from '@wardline/protocol';
import { randomBytes } from 'node:crypto';
import type { Db } from '../db/database.js';

const columns = `id, name, require_admin_totp AS requireAdminTotp, created_at AS createdAt, closed_at AS closedAt`;
type Row = Omit<Organisation, 'requireAdminTotp'> & { requireAdminTotp: number };
const fromRow = ({ requireAdminTotp, ...row }: Row): Organisation => ({
  ...row,
  requireAdminTotp: requireAdminTotp === 1,
});

export function createOrganisationRepository(db: Db) {
  const byId = db.prepare(`SELECT ${columns} FROM organisations WHERE id = ?`);
  return {
    list(): Organisation[] {
      return (db.prepare(`SELECT ${columns} FROM organisations ORDER BY name, id`).all() as Row[]).map(
        fromRow,
      );
    },

    get(id: string): Organisation | undefined {
      const row = byId.get(id) as Row | undefined;
      return row && fromRow(row);
    },

    /** A new organisation with an opaque id (ids appear in URLs and logs; names do not). */
    create(name: string, now = new Date()): Organisation {
      const id = `org-${randomBytes(6).toString('hex')}`;
      db.prepare(`INSERT INTO organisations (id, name, created_at) VALUES (?, ?, ?)`).run(
        id,
        name,
        now.toISOString(),
      );
      return this.get(id)!;
    },

    update(id: string, change: { name?: string; requireAdminTotp?: boolean }): Organisation | undefined {
      if (change.name !== undefined)
        db.prepare(`UPDATE organisations SET name = ? WHERE id = ?`).run(change.name, id);
      if (change.requireAdminTotp !== undefined)
        db.prepare(`UPDATE organisations SET require_admin_totp = ? WHERE id = ?`).run(
          change.requireAdminTotp ? 1 : 0,
          id,
        );
      return this.get(id);
    },

    close(id: string, now = new Date()): Organisation | undefined {
      db.prepare(`UPDATE organisations SET closed_at = coalesce(closed_at, ?) WHERE id = ?`).run(
        now.toISOString(),
        id,
      );
      return this.get(id);
    },
  };
}
export type OrganisationRepository = ReturnType<typeof createOrganisationRepository>;
