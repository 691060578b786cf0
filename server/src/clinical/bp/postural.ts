import type { PosturalReading, PosturalTestRequest } from '@wardline/protocol';

/**
 * Postural (orthostatic) hypotension (NICE NG136 1.2.3; falls assessment, NG249): lying then
 * standing at 1 and 3 minutes. A drop of 20 mmHg systolic or 10 mmHg diastolic at either standing
 * reading, or a standing systolic below 90, is positive: the resident is at risk of falls.
 */
export const SYSTOLIC_DROP = 20;
export const DIASTOLIC_DROP = 10;
export const STANDING_SYSTOLIC_FLOOR = 90;

export function assessPostural(test: PosturalTestRequest): { positive: boolean; findings: string[] } {
  const findings: string[] = [];
  const standing: [string, PosturalReading][] = [['at 1 minute', test.standing1]];
  if (test.standing3) standing.push(['at 3 minutes', test.standing3]);
  for (const [when, r] of standing) {
    const sysDrop = test.lying.systolic - r.systolic;
    const diaDrop = test.lying.diastolic - r.diastolic;
    if (sysDrop >= SYSTOLIC_DROP) findings.push(`systolic fell ${sysDrop} mmHg ${when} standing`);
    if (diaDrop >= DIASTOLIC_DROP) findings.push(`diastolic fell ${diaDrop} mmHg ${when} standing`);
    if (r.systolic < STANDING_SYSTOLIC_FLOOR)
      findings.push(`standing systolic ${r.systolic} mmHg ${when}, below ${STANDING_SYSTOLIC_FLOOR}`);
  }
  return { positive: findings.length > 0, findings };
}

/** Readings out of order or not plausible as a lying-then-standing test, in words; [] when fine. */
export function posturalProblems(test: PosturalTestRequest): string[] {
  const problems: string[] = [];
  const all: [string, PosturalReading | undefined][] = [
    ['lying', test.lying],
    ['standing at 1 minute', test.standing1],
    ['standing at 3 minutes', test.standing3],
  ];
  for (const [name, r] of all)
    if (r && r.diastolic >= r.systolic) problems.push(`${name}: diastolic must be below systolic`);
  const t = (r: PosturalReading) => Date.parse(r.measuredAt);
  if (t(test.standing1) < t(test.lying)) problems.push('the standing reading is before the lying one');
  if (test.standing3 && t(test.standing3) < t(test.standing1))
    problems.push('the 3-minute reading is before the 1-minute one');
  return problems;
}
