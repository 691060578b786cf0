import {
  isUnreliable,
  type BpPressure,
  type BpReport,
  type Observation,
  type QualityFlag,
} from '@wardline/protocol';
import { ageAt, belowTarget, homeSeries, targetFor, type BpReading } from './series.js';

/** Staff-entered readings (the manual-observation form) are not home monitoring. */
const STAFF_SOURCE_PREFIX = 'staff:';

export interface ReportInput {
  patientId: string;
  from: Date;
  to: Date;
  dateOfBirth: string | null;
  treated: boolean;
  observations: (Observation & { quality?: readonly QualityFlag[] })[];
}

/** The patient's BP report: the home series, stage, target and share of readings at target. */
export function bpReport(input: ReportInput): BpReport {
  const cuff = input.observations.filter(
    (o) => o.kind === 'blood_pressure' && !o.deviceId.startsWith(STAFF_SOURCE_PREFIX),
  );
  const reliable = cuff.filter((o) => !isUnreliable(o));
  const readings: BpReading[] = reliable.map((o) => {
    const v = o.values as { systolic: { value: number }; diastolic: { value: number } };
    return { systolic: v.systolic.value, diastolic: v.diastolic.value, measuredAt: o.measuredAt };
  });
  const series = homeSeries(readings);
  const ageYears = ageAt(input.dateOfBirth, input.to);
  const target = input.treated ? targetFor(ageYears) : null;
  const at = target ? readings.filter((r) => belowTarget(r, target)).length : 0;
  return {
    patientId: input.patientId,
    from: input.from.toISOString(),
    to: input.to.toISOString(),
    timeZone: 'Europe/London',
    series: { status: series.status, days: series.days, missing: series.missing },
    homeAverage: series.homeAverage,
    stage: series.stage,
    treated: input.treated,
    ageYears,
    target,
    atTarget: target
      ? { readings: at, total: readings.length, share: readings.length ? at / readings.length : null }
      : null,
    severeReadings: readings.filter((r) => r.systolic >= 180 || r.diastolic >= 120).length,
    unreliableReadings: cuff.length - reliable.length,
    daily: series.daily,
  };
}

const round1 = (n: number) => Math.round(n * 10) / 10;
const pressure = (p: BpPressure | null) => (p ? [round1(p.systolic), round1(p.diastolic)] : ['', '']);

function csvCell(value: string | number): string {
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One row per day and session, then the summary rows. */
export function bpReportCsv(report: BpReport): string {
  const rows: (string | number)[][] = [
    [
      'date',
      'session',
      'systolic_mean [mm[Hg]]',
      'diastolic_mean [mm[Hg]]',
      'readings',
      'in_average',
      'note',
    ],
  ];
  for (const d of report.daily)
    for (const s of [d.morning, d.evening])
      rows.push([
        d.date,
        s.session,
        ...pressure(s.mean),
        s.readings.length,
        d.counted && s.mean ? 'yes' : 'no',
        d.discarded ? 'day one: discarded' : (s.missing ?? ''),
      ]);
  rows.push([]);
  rows.push(['series', report.series.status, '', '', '', '', report.series.missing.join('; ')]);
  if (report.homeAverage)
    rows.push(['home_average', '', ...pressure(report.homeAverage), report.homeAverage.readings, '', '']);
  rows.push(['stage', report.stage ?? '', '', '', '', '', '']);
  if (report.target && report.atTarget)
    rows.push([
      'target_below',
      '',
      report.target.systolic,
      report.target.diastolic,
      `${report.atTarget.readings}/${report.atTarget.total}`,
      '',
      report.target.basis,
    ]);
  return `${rows.map((r) => r.map(csvCell).join(',')).join('\r\n')}\r\n`;
}
