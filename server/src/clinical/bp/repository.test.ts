/** Treatment status and postural tests on both engines (SQLite and PostgreSQL). */
import type { PosturalTestRequest } from '@wardline/protocol';
import { afterEach, expect, it } from 'vitest';
import type { SqlDatabase } from '../../db/engines/engine.js';
import { createWardRepository } from '../../db/ward-repository.js';
import { describeEngines } from '../../testing-sql.js';
import { createBpRepository } from './repository.js';

const AT = '2026-11-29T08:00:00.000Z';

function posturalTest(standingSystolic: number, minute = 0): PosturalTestRequest {
  const at = (m: number) => new Date(Date.parse(AT) + (minute + m) * 60_000).toISOString();
  return {
    lying: { systolic: 142, diastolic: 80, measuredAt: at(0) },
    standing1: { systolic: standingSystolic, diastolic: 78, measuredAt: at(1) },
  };
}

describeEngines('blood-pressure records', (open) => {
  const opened: SqlDatabase[] = [];
  afterEach(async () => {
    for (const sql of opened.splice(0)) await sql.close();
  });

  async function records() {
    const sql = await open();
    opened.push(sql);
    const wards = createWardRepository(sql);
    for (const id of ['p-1', 'p-2', 'p-3']) await wards.admit({ id, displayName: id, bedId: null, at: AT });
    return createBpRepository(sql);
  }

  it('keeps one treatment status per patient, the last one set', async () => {
    const bp = await records();
    expect(await bp.treated('p-1')).toBe(false);
    await bp.setTreated('p-1', true, 'charge', AT);
    expect(await bp.treated('p-1')).toBe(true);
    await bp.setTreated('p-1', false, 'charge', '2026-11-30T08:00:00.000Z');
    expect(await bp.treated('p-1')).toBe(false);
    expect(await bp.treated('p-2')).toBe(false);
  });

  it('records postural tests with their findings, newest first, and flags falls risk from the latest', async () => {
    const bp = await records();
    const negative = await bp.addPosturalTest('p-1', posturalTest(138), 'nurse', AT);
    expect(negative).toMatchObject({
      patientId: 'p-1',
      recordedBy: 'nurse',
      recordedAt: AT,
      positive: false,
    });
    expect(negative.findings).toEqual([]);
    const positive = await bp.addPosturalTest('p-1', posturalTest(120, 60), 'nurse', AT);
    expect(positive.id).toBeGreaterThan(negative.id);
    expect(positive).toMatchObject({
      positive: true,
      findings: ['systolic fell 22 mmHg at 1 minute standing'],
    });
    await bp.addPosturalTest('p-2', posturalTest(140), 'nurse', AT);

    expect((await bp.posturalTests('p-1')).map((t) => t.id)).toEqual([positive.id, negative.id]);
    expect(await bp.posturalTests('p-1', 1)).toEqual([positive]);
    expect(await bp.posturalTests('p-3')).toEqual([]);

    const risk = await bp.fallsRisk(['p-1', 'p-2', 'p-3']);
    expect([...risk.keys()].sort()).toEqual(['p-1', 'p-2']);
    expect(risk.get('p-1')).toEqual({
      atRiskOfFalls: true,
      testId: positive.id,
      testedAt: positive.lying.measuredAt,
      findings: positive.findings,
    });
    expect(risk.get('p-2')?.atRiskOfFalls).toBe(false);
  });
});
