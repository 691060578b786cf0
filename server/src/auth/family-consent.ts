import { ObservationKind, type Observation } from '@wardline/protocol';
import type { ContactRepository } from '../alerts/contacts.js';
import type { ObservationRepository } from '../db/observation-repository.js';
import { Errors } from '../errors.js';
import type { AuthenticatedUser } from './user-repository.js';

/**
 * Whether this user may be shown the resident's readings and scores. Staff may (their scope is
 * checked elsewhere); a family user only when the contact record they sign in as (linked by
 * username) consents to clinical detail. No linked contact, or a contact of another resident,
 * is no consent: the conservative reading of a missing record; and when two records link the
 * same account, both must consent (one may record a withdrawal).
 */
export async function mayShowClinicalDetail(
  contacts: ContactRepository,
  user: AuthenticatedUser,
  patientId: string,
): Promise<boolean> {
  if (user.role !== 'family') return true;
  if (user.patientId !== patientId) return false;
  const linked = (await contacts.list(patientId)).filter((c) => c.username === user.username);
  return linked.length > 0 && linked.every((c) => c.consent.clinicalDetail);
}

/** 403 for a family user without consent to clinical detail. */
export async function requireClinicalDetail(
  contacts: ContactRepository,
  user: AuthenticatedUser,
  patientId: string,
): Promise<void> {
  if (!(await mayShowClinicalDetail(contacts, user, patientId))) throw new Errors.forbidden();
}

/** Events, not readings: a fall or a help press does not say that readings are being taken. */
const EVENT_KINDS = new Set<string>([ObservationKind.fall, ObservationKind.helpRequest]);

export const isReading = (o: Pick<Observation, 'kind'>): boolean => !EVENT_KINDS.has(o.kind);

/** When the resident's newest reading (not a fall or help press) was taken, or null. */
export async function lastReadingAt(
  observations: ObservationRepository,
  patientId: string,
): Promise<string | null> {
  // A few rows suffice: events are rare next to readings, and a run of them only delays the answer.
  for (const stored of await observations.history({ patientId, limit: 50, newestFirst: true }))
    if (isReading(stored.observation)) return stored.observation.measuredAt;
  return null;
}
