import Type, { type Static } from 'typebox';
import { News2Summary } from './alerts.js';

/** One change of a patient's NEWS2: recorded when the score, risk or completeness changes. */
export const News2HistoryEntry = Type.Object({
  at: Type.String(),
  score: Type.Integer(),
  risk: Type.String(),
  complete: Type.Boolean(),
  missing: Type.Array(Type.String()),
  missingText: Type.Union([Type.String(), Type.Null()]),
  /** Each parameter scored, with the value it was scored from. */
  parameters: Type.Array(
    Type.Object({
      parameter: Type.String(),
      value: Type.Union([Type.Number(), Type.String(), Type.Boolean()]),
      score: Type.Integer(),
    }),
  ),
});
export type News2HistoryEntry = Static<typeof News2HistoryEntry>;

export const News2HistoryQuery = Type.Object({
  /** ISO time; default the last 7 days. */
  from: Type.Optional(Type.String({ format: 'date-time' })),
});
export type News2HistoryQuery = Static<typeof News2HistoryQuery>;

/** `GET /api/patients/:patientId/news2/history`: oldest first. */
export const News2History = Type.Object({
  patientId: Type.String(),
  from: Type.String(),
  entries: Type.Array(News2HistoryEntry),
});
export type News2History = Static<typeof News2History>;

/** Socket event `news2`, to the ward room, when a resident's NEWS2 changes. */
export const News2Event = Type.Object({
  wardId: Type.String(),
  bedId: Type.Union([Type.String(), Type.Null()]),
  patientId: Type.String(),
  summary: News2Summary,
});
export type News2Event = Static<typeof News2Event>;
