import { BP_STAGE_LABELS, type BpPressure, type BpReport } from '@wardline/protocol/bp';

/** Whole mmHg for display; the stage is worked out on the exact mean by the server. */
export const mmHg = (p: BpPressure) => `${Math.round(p.systolic)}/${Math.round(p.diastolic)} mmHg`;

export function stageText(report: BpReport): string {
  if (!report.stage) return 'Not staged: the home series is incomplete';
  return BP_STAGE_LABELS[report.stage];
}

export function shareText(report: BpReport): string | null {
  if (!report.atTarget || !report.target) return null;
  const { readings, total, share } = report.atTarget;
  if (share === null) return 'No readings in this period';
  return `${Math.round(share * 100)}% of readings below ${report.target.systolic}/${report.target.diastolic} (${readings} of ${total})`;
}

/** Parses a blood pressure typed as "120/80"; null when it is not one. */
export function parsePressure(text: string): BpPressure | null {
  const m = /^\s*(\d{2,3})\s*\/\s*(\d{2,3})\s*$/.exec(text);
  if (!m) return null;
  const systolic = Number(m[1]);
  const diastolic = Number(m[2]);
  if (systolic < 40 || systolic > 300 || diastolic < 20 || diastolic > 200 || diastolic >= systolic)
    return null;
  return { systolic, diastolic };
}
