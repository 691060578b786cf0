import type { FamilyContact, FamilyContactInput } from '@wardline/protocol';
import type { SqlDatabase } from '../db/engines/engine.js';

interface Row {
  id: number;
  patient_id: string;
  contact_json: string;
  consent_recorded_at: string;
  consent_recorded_by: string;
}

const toContact = (r: Row): FamilyContact => ({
  ...(JSON.parse(r.contact_json) as FamilyContactInput),
  id: r.id,
  patientId: r.patient_id,
  consentRecordedAt: r.consent_recorded_at,
  consentRecordedBy: r.consent_recorded_by,
});

/** Family contacts and their consent; every change is kept in family_contact_changes. */
export function createContactRepository(sql: SqlDatabase) {
  const audit = (
    contactId: number,
    at: string,
    by: string,
    action: string,
    oldJson: string | null,
    newJson: string | null,
  ) =>
    sql.run(
      `INSERT INTO family_contact_changes (contact_id, at, by, action, old_json, new_json) VALUES (?, ?, ?, ?, ?, ?)`,
      [contactId, at, by, action, oldJson, newJson],
    );

  const repo = {
    async list(patientId: string): Promise<FamilyContact[]> {
      const rows = await sql.all<Row>(
        `SELECT * FROM family_contacts WHERE patient_id = ? AND deleted_at IS NULL ORDER BY id`,
        [patientId],
      );
      return rows.map(toContact);
    },

    async get(id: number): Promise<FamilyContact | undefined> {
      const row = await sql.get<Row>(`SELECT * FROM family_contacts WHERE id = ? AND deleted_at IS NULL`, [
        id,
      ]);
      return row ? toContact(row) : undefined;
    },

    create(patientId: string, input: FamilyContactInput, by: string, at: string): Promise<FamilyContact> {
      return sql.transaction(async () => {
        const inserted = await sql.get<{ id: number }>(
          `INSERT INTO family_contacts (patient_id, contact_json, consent_recorded_at, consent_recorded_by)
           VALUES (?, ?, ?, ?) RETURNING id`,
          [patientId, JSON.stringify(input), at, by],
        );
        await audit(inserted!.id, at, by, 'created', null, JSON.stringify(input));
        return (await repo.get(inserted!.id))!;
      });
    },

    update(
      id: number,
      input: FamilyContactInput,
      by: string,
      at: string,
    ): Promise<FamilyContact | undefined> {
      return sql.transaction(async () => {
        const old = await repo.get(id);
        if (!old) return undefined;
        const { id: _id, patientId: _p, consentRecordedAt, consentRecordedBy, ...oldInput } = old;
        const consentChanged =
          JSON.stringify(oldInput.consent) !== JSON.stringify(input.consent) ||
          oldInput.consentNote !== input.consentNote;
        await sql.run(
          `UPDATE family_contacts SET contact_json = ?, consent_recorded_at = ?, consent_recorded_by = ? WHERE id = ?`,
          [
            JSON.stringify(input),
            consentChanged ? at : consentRecordedAt,
            consentChanged ? by : consentRecordedBy,
            id,
          ],
        );
        await audit(id, at, by, 'updated', JSON.stringify(oldInput), JSON.stringify(input));
        return repo.get(id);
      });
    },

    remove(id: number, by: string, at: string): Promise<boolean> {
      return sql.transaction(async () => {
        const old = await repo.get(id);
        if (!old) return false;
        await sql.run(`UPDATE family_contacts SET deleted_at = ?, deleted_by = ? WHERE id = ?`, [at, by, id]);
        await audit(id, at, by, 'deleted', JSON.stringify(old), null);
        return true;
      });
    },

    /** The contact a family user signs in as, if one is linked. */
    async forUser(patientId: string, username: string): Promise<FamilyContact | undefined> {
      return (await repo.list(patientId)).find((c) => c.username === username);
    },
  };
  return repo;
}
export type ContactRepository = ReturnType<typeof createContactRepository>;
