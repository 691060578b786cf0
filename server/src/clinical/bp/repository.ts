import type { BedFallsRisk, PosturalTest, PosturalTestRequest } from '@wardline/protocol';
import type { SqlDatabase } from '../../db/engines/engine.js';
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

const TEST_COLUMNS = 'id, patient_id, recorded_at, recorded_by, test_json';

/** Home-monitoring treatment status and postural tests (schema migration 8). */
export function createBpRepository(sql: SqlDatabase) {
  return {
    /** The falls-risk flag of each patient with a postural test (latest test; others absent). */
    async fallsRisk(patientIds: readonly string[]): Promise<Map<string, BedFallsRisk>> {
      const out = new Map<string, BedFallsRisk>();
      // Chunks stay under SQLite's bound-parameter limit on a large ward.
      for (let i = 0; i < patientIds.length; i += 500) {
        const chunk = patientIds.slice(i, i + 500);
        const rows = await sql.all<TestRow>(
          `SELECT ${TEST_COLUMNS} FROM postural_tests
            WHERE id IN (SELECT max(id) FROM postural_tests
                          WHERE patient_id IN (${Array(chunk.length).fill('?').join(',')}) GROUP BY patient_id)`,
          chunk,
        );
        for (const row of rows) out.set(row.patient_id, fallsRiskOf(toTest(row)));
      }
      return out;
    },
    async treated(patientId: string): Promise<boolean> {
      const row = await sql.get<{ treated: number }>(
        `SELECT treated FROM patient_bp_treatment WHERE patient_id = ?`,
        [patientId],
      );
      return row?.treated === 1;
    },
    async setTreated(patientId: string, treated: boolean, by: string, at: string): Promise<void> {
      await sql.run(
        `INSERT INTO patient_bp_treatment (patient_id, treated, updated_at, updated_by) VALUES (?, ?, ?, ?)
         ON CONFLICT (patient_id) DO UPDATE SET treated = excluded.treated, updated_at = excluded.updated_at,
           updated_by = excluded.updated_by`,
        [patientId, treated ? 1 : 0, at, by],
      );
    },
    async addPosturalTest(
      patientId: string,
      test: PosturalTestRequest,
      by: string,
      at: string,
    ): Promise<PosturalTest> {
      const { positive } = assessPostural(test);
      const row = await sql.get<TestRow>(
        `INSERT INTO postural_tests (patient_id, recorded_at, recorded_by, test_json, positive) VALUES (?, ?, ?, ?, ?)
         RETURNING ${TEST_COLUMNS}`,
        [patientId, at, by, JSON.stringify(test), positive ? 1 : 0],
      );
      return toTest(row!);
    },
    /** Newest first. */
    async posturalTests(patientId: string, limit = 20): Promise<PosturalTest[]> {
      const rows = await sql.all<TestRow>(
        `SELECT ${TEST_COLUMNS} FROM postural_tests WHERE patient_id = ? ORDER BY id DESC LIMIT ?`,
        [patientId, limit],
      );
      return rows.map(toTest);
    },
  };
}
export type BpRepository = ReturnType<typeof createBpRepository>;
