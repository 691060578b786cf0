import type { BedFallsRisk, PosturalTest, PosturalTestRequest } from '@wardline/protocol';
import type { Db } from '../../db/database.js';
import { assessPostural } from './postural.js';

interface TestRow {
  id: number;
  patient_id: string;
  recorded_at: string;
  recorded_by: string;
  test_json: string;
}

function toTest(row: TestRow): PosturalTest {
  const test = JSON.parse(row.test_json) as PosturalTestRequest;
  // Findings are recomputed from the stored readings, so they always read as the rule says.
  return {
    ...test,
    id: row.id,
    patientId: row.patient_id,
    recordedAt: row.recorded_at,
    recordedBy: row.recorded_by,
    ...assessPostural(test),
  };
}

/** The bed's falls-risk flag from a postural test. */
export function fallsRiskOf(test: PosturalTest): BedFallsRisk {
  return {
    atRiskOfFalls: test.positive,
    testId: test.id,
    testedAt: test.lying.measuredAt,
    findings: test.findings,
  };
}

/** Home-monitoring treatment status and postural tests (schema migration 8). */
export function createBpRepository(db: Db) {
  const treatedOf = db.prepare(`SELECT treated FROM patient_bp_treatment WHERE patient_id = ?`);
  const setTreated = db.prepare(
    `INSERT INTO patient_bp_treatment (patient_id, treated, updated_at, updated_by) VALUES (?, ?, ?, ?)
     ON CONFLICT (patient_id) DO UPDATE SET treated = excluded.treated, updated_at = excluded.updated_at,
       updated_by = excluded.updated_by`,
  );
  const insertTest = db.prepare(
    `INSERT INTO postural_tests (patient_id, recorded_at, recorded_by, test_json, positive) VALUES (?, ?, ?, ?, ?)`,
  );
  const testsOf = db.prepare(`SELECT * FROM postural_tests WHERE patient_id = ? ORDER BY id DESC LIMIT ?`);
  const testById = db.prepare(`SELECT * FROM postural_tests WHERE id = ?`);

  const latestTests = (count: number) =>
    db.prepare(
      `SELECT t.* FROM postural_tests t
        WHERE t.id IN (SELECT max(id) FROM postural_tests
                        WHERE patient_id IN (${Array(count).fill('?').join(',')}) GROUP BY patient_id)`,
    );

  return {
    /** The falls-risk flag of each patient with a postural test (latest test; others absent). */
    fallsRisk(patientIds: readonly string[]): Map<string, BedFallsRisk> {
      const out = new Map<string, BedFallsRisk>();
      // Chunks stay under SQLite's bound-parameter limit on a large ward.
      for (let i = 0; i < patientIds.length; i += 500) {
        const chunk = patientIds.slice(i, i + 500);
        for (const row of latestTests(chunk.length).all(...chunk) as TestRow[])
          out.set(row.patient_id, fallsRiskOf(toTest(row)));
      }
      return out;
    },
    treated(patientId: string): boolean {
      return (treatedOf.get(patientId) as { treated: number } | undefined)?.treated === 1;
    },
    setTreated(patientId: string, treated: boolean, by: string, at: string): void {
      setTreated.run(patientId, treated ? 1 : 0, at, by);
    },
    addPosturalTest(patientId: string, test: PosturalTestRequest, by: string, at: string): PosturalTest {
      const { positive } = assessPostural(test);
      const { lastInsertRowid } = insertTest.run(patientId, at, by, JSON.stringify(test), positive ? 1 : 0);
      return toTest(testById.get(lastInsertRowid) as TestRow);
    },
    /** Newest first. */
    posturalTests(patientId: string, limit = 20): PosturalTest[] {
      return (testsOf.all(patientId, limit) as TestRow[]).map(toTest);
    },
  };
}
export type BpRepository = ReturnType<typeof createBpRepository>;
