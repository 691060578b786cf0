import Type, { type Static } from 'typebox';

/**
 * Blood-pressure management (NICE NG136): a home-monitoring series, its average and stage, the
 * target for a treated patient, and the postural (lying then standing) test, a falls risk.
 */

/** Stage of hypertension by the home average (NG136 1.2: HBPM thresholds; severe as clinic). */
export type BpStage = 'normal' | 'stage1' | 'stage2' | 'severe';
export const BP_STAGE_LABELS: Record<BpStage, string> = {
  normal: 'Normal (below 135/85)',
  stage1: 'Stage 1 hypertension (from 135/85)',
  stage2: 'Stage 2 hypertension (from 150/95)',
  severe: 'Severe hypertension (from 180/120)',
};

/** Morning 04:00-12:00, evening 12:00-24:00, Europe/London time. */
export type BpSessionName = 'morning' | 'evening';

export interface BpPressure {
  systolic: number;
  diastolic: number;
}

/** One session of a day: its pair of readings (at least a minute apart) and their mean. */
export interface BpSession {
  session: BpSessionName;
  /** The pair used; absent when the session has none. */
  readings: (BpPressure & { measuredAt: string })[];
  mean: BpPressure | null;
  /** Why the session does not count, in words; absent when it does. */
  missing?: string;
}

export interface BpDay {
  /** Local date, YYYY-MM-DD (Europe/London). */
  date: string;
  morning: BpSession;
  evening: BpSession;
  /** In the series used for the average (not day one, not outside it). */
  counted: boolean;
  /** The series' first day: its readings are left out of the average. */
  discarded: boolean;
}

export interface BpTarget extends BpPressure {
  /** Why this target: age band, or unknown age. */
  basis: string;
}

export interface BpReport {
  patientId: string;
  from: string;
  to: string;
  timeZone: 'Europe/London';
  series: {
    status: 'complete' | 'incomplete';
    /** Local dates of the series used (4 to 7 consecutive days), day one included. */
    days: string[];
    /** What is missing, in words, when incomplete. */
    missing: string[];
  };
  /** Mean of the series' readings after day one; null unless the series is complete. */
  homeAverage: (BpPressure & { readings: number }) | null;
  stage: BpStage | null;
  /** Treated for hypertension (set by a clinical lead). */
  treated: boolean;
  ageYears: number | null;
  /** The target for a treated patient; null when not treated. */
  target: BpTarget | null;
  /** Reliable cuff readings in the period below the target; null when there is no target. */
  atTarget: { readings: number; total: number; share: number | null } | null;
  /** Reliable cuff readings in the period at severe level (180/120 or more). */
  severeReadings: number;
  /** Readings left out as unreliable (device quality flags). */
  unreliableReadings: number;
  daily: BpDay[];
}

/** One reading of a postural test (the device contract's ranges for a cuff reading). */
export const PosturalReading = Type.Object(
  {
    systolic: Type.Number({ minimum: 40, maximum: 300 }),
    diastolic: Type.Number({ minimum: 20, maximum: 200 }),
    pulse: Type.Optional(Type.Number({ minimum: 20, maximum: 300 })),
    measuredAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);
export type PosturalReading = Static<typeof PosturalReading>;

export const PosturalTestRequest = Type.Object(
  {
    lying: PosturalReading,
    standing1: PosturalReading,
    /** Absent when the resident could not stand for three minutes. */
    standing3: Type.Optional(PosturalReading),
    note: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);
export type PosturalTestRequest = Static<typeof PosturalTestRequest>;

export interface PosturalTest extends PosturalTestRequest {
  id: number;
  patientId: string;
  recordedAt: string;
  recordedBy: string;
  /** Postural hypotension: at risk of falls. */
  positive: boolean;
  /** The findings in words (drops, standing systolic below 90). */
  findings: string[];
}

export interface PosturalStatus {
  patientId: string;
  /** The latest test; the falls-risk flag follows it. */
  latest: PosturalTest | null;
  atRiskOfFalls: boolean;
  tests: PosturalTest[];
}

export const BpTreatmentRequest = Type.Object({ treated: Type.Boolean() }, { additionalProperties: false });
export type BpTreatmentRequest = Static<typeof BpTreatmentRequest>;

/**
 * The falls-risk flag a bed shows, from the resident's latest postural test: the flag follows the
 * latest test (a later negative test clears it), and never expires by itself.
 */
export const BedFallsRisk = Type.Object({
  atRiskOfFalls: Type.Boolean(),
  testId: Type.Integer(),
  /** When the test was done: its lying reading. */
  testedAt: Type.String(),
  /** The findings in words (drops, standing systolic below 90); empty for a negative test. */
  findings: Type.Array(Type.String()),
});
export type BedFallsRisk = Static<typeof BedFallsRisk>;

/** Socket event `fallsRisk`, to the ward room, when a resident's postural test is recorded. */
export interface FallsRiskEvent {
  wardId: string;
  bedId: string | null;
  patientId: string;
  fallsRisk: BedFallsRisk;
}
