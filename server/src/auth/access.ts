import type { Role } from '@wardline/protocol';
import type { FastifyRequest } from 'fastify';
import { Errors } from '../errors.js';
import type { AuthenticatedUser } from './user-repository.js';

/**
 * Who may do what, by role. Everything is also scoped to the user's organisation (and, for a
 * ward-limited user, to their wards): a record of another organisation is answered 404, exactly as
 * one that does not exist, so that nobody learns what another organisation holds.
 */
export const ROLES = {
  /** See wards and patients, acknowledge alerts, record observations. */
  staff: ['nurse', 'nurse_in_charge', 'admin'],
  /** Admit and discharge, thresholds, family contacts, issue and return kits. */
  clinicalLead: ['nurse_in_charge', 'admin'],
  /** Sites, wards, beds, staff, kits, imports, the audit. */
  admin: ['admin'],
  /** Staff and family: anyone who may see (some) patient data. */
  patientViewers: ['nurse', 'nurse_in_charge', 'admin', 'family'],
  /** Runs the server: organisations and their first admins; no clinical records. */
  operator: ['operator'],
} as const satisfies Record<string, readonly Role[]>;

/** The organisation a signed-in user works in; an operator has none and is refused here. */
export function organisationOf(request: FastifyRequest): string {
  const user = request.user;
  if (!user) throw new Errors.unauthenticated();
  if (!user.organisationId) throw new Errors.forbidden();
  return user.organisationId;
}

/** Whether a user may see a ward: their organisation's, and one of theirs when limited to some. */
export function canSeeWard(
  user: AuthenticatedUser,
  ward: { organisationId: string | null; id: string },
): boolean {
  if (user.role === 'family' || user.role === 'operator') return false;
  if (ward.organisationId !== user.organisationId) return false;
  return user.wardIds === null || user.wardIds.includes(ward.id);
}
