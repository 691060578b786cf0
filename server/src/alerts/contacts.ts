import type { FamilyContact, FamilyContactInput } from '@wardline/protocol';
import type { Db } from '../db/database.js';

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
export function createContactRepository(db: Db) {
  const audit = db.prepare(
    `INSERT INTO family_contact_changes (contact_id, at, by, action, old_json, new_json) VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const byId = db.prepare(`SELECT * FROM family_contacts WHERE id = ? AND deleted_at IS NULL`);
  const byPatient = db.prepare(
    `SELECT * FROM family_contacts WHERE patient_id = ? AND deleted_at IS NULL ORDER BY id`,
  );

  const repo = {
    list(patientId: string): FamilyContact[] {
      return (byPatient.all(patientId) as Row[]).map(toContact);
    },

    get(id: number): FamilyContact | undefined {
      const row = byId.get(id) as Row | undefined;
      return row ? toContact(row) : undefined;
    },

    create(patientId: string, input: FamilyContactInput, by: string, at: string): FamilyContact {
      return db.transaction(() => {
        const { lastInsertRowid } = db
          .prepare(
            `INSERT INTO family_contacts (patient_id, contact_json, consent_recorded_at, consent_recorded_by)
             VALUES (?, ?, ?, ?)`,
          )
          .run(patientId, JSON.stringify(input), at, by);
        audit.run(lastInsertRowid, at, by, 'created', null, JSON.stringify(input));
        return repo.get(Number(lastInsertRowid))!;
      })();
    },

    update(id: number, input: FamilyContactInput, by: string, at: string): FamilyContact | undefined {
      return db.transaction(() => {
        const old = repo.get(id);
        if (!old) return undefined;
        const { id: _id, patientId: _p, consentRecordedAt, consentRecordedBy, ...oldInput } = old;
        const consentChanged =
          JSON.stringify(oldInput.consent) !== JSON.stringify(input.consent) ||
          oldInput.consentNote !== input.consentNote;
        db.prepare(
          `UPDATE family_contacts SET contact_json = ?, consent_recorded_at = ?, consent_recorded_by = ? WHERE id = ?`,
        ).run(
          JSON.stringify(input),
          consentChanged ? at : consentRecordedAt,
          consentChanged ? by : consentRecordedBy,
          id,
        );
        audit.run(id, at, by, 'updated', JSON.stringify(oldInput), JSON.stringify(input));
        return repo.get(id);
      })();
    },

    remove(id: number, by: string, at: string): boolean {
      return db.transaction(() => {
        const old = repo.get(id);
        if (!old) return false;
        db.prepare(`UPDATE family_contacts SET deleted_at = ?, deleted_by = ? WHERE id = ?`).run(at, by, id);
        audit.run(id, at, by, 'deleted', JSON.stringify(old), null);
        return true;
      })();
    },

    /** The contact a family user signs in as, if one is linked. */
    forUser(patientId: string, username: string): FamilyContact | undefined {
      return repo.list(patientId).find((c) => c.username === username);
    },
  };
  return repo;
}
export type ContactRepository = ReturnType<typeof createContactRepository>;
