import type { Role } from '@wardline/protocol';
import type { FastifyRequest } from 'fastify';
import { Errors } from '../errors.js';
import type { DeviceRepository, DeviceRoute } from '../db/device-repository.js';
import type { PatientRepository, PatientScope } from '../db/patient-repository.js';
import type { BedScope, PlaceRepository, WardScope } from '../db/place-repository.js';
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

/** What the scope checks below read: the context's places, patients and devices. */
interface ScopeSources {
  places: PlaceRepository;
  patients: PatientRepository;
}

/** A ward the user may see (open or closed), or 404 as if it did not exist. */
export async function wardInScope(
  ctx: ScopeSources,
  user: AuthenticatedUser,
  wardId: string,
): Promise<WardScope> {
  const ward = await ctx.places.wardScope(wardId);
  if (!ward || !canSeeWard(user, ward)) throw new Errors.notFound('ward');
  return ward;
}

/** A ward of the admin's organisation (ward limits do not bind admins' management of places). */
export async function wardOfOrganisation(
  ctx: ScopeSources,
  user: AuthenticatedUser,
  wardId: string,
): Promise<WardScope> {
  const ward = await ctx.places.wardScope(wardId);
  if (!ward || ward.organisationId === null || ward.organisationId !== user.organisationId)
    throw new Errors.notFound('ward');
  return ward;
}

/** A bed of the user's organisation (and wards), or 404. */
export async function bedInScope(
  ctx: ScopeSources,
  user: AuthenticatedUser,
  bedId: string,
): Promise<BedScope> {
  const bed = await ctx.places.bedScope(bedId);
  if (!bed || !canSeeWard(user, { id: bed.wardId, organisationId: bed.organisationId }))
    throw new Errors.notFound('bed');
  return bed;
}

/**
 * A patient the user may see: a family member only their own relative (403 for another of the
 * same organisation, as before), staff those of their organisation and, when ward-limited, of
 * their wards (where the patient is, or last was). Anything else is 404, as if absent.
 */
export async function patientInScope(
  ctx: ScopeSources,
  user: AuthenticatedUser,
  patientId: string,
): Promise<PatientScope> {
  const patient = await ctx.patients.scope(patientId);
  if (!patient || patient.organisationId === null || patient.organisationId !== user.organisationId)
    throw new Errors.notFound('patient');
  if (user.role === 'family') {
    if (user.patientId !== patientId) throw new Errors.forbidden();
    return patient;
  }
  if (user.role === 'operator') throw new Errors.notFound('patient');
  if (user.wardIds !== null && (patient.wardId === null || !user.wardIds.includes(patient.wardId)))
    throw new Errors.notFound('patient');
  return patient;
}

/** A device whose site (its MQTT site segment) belongs to the user's organisation, or 404. */
export async function deviceInScope(
  ctx: ScopeSources & { devices: DeviceRepository },
  user: AuthenticatedUser,
  deviceId: string,
): Promise<DeviceRoute> {
  const route = await ctx.devices.route(deviceId);
  if (
    !route ||
    !user.organisationId ||
    (await ctx.places.organisationOfSiteCode(route.siteCode)) !== user.organisationId
  )
    throw new Errors.notFound('device');
  return route;
}

/** Whether an alert concerns the user's organisation: by its patient, ward, gateway or device. */
export async function alertOrganisation(
  ctx: ScopeSources & { devices: DeviceRepository },
  alert: {
    patient_id: string | null;
    ward_id: string | null;
    gateway_id: string | null;
    device_id: string | null;
  },
): Promise<string | null> {
  if (alert.patient_id) return (await ctx.patients.scope(alert.patient_id))?.organisationId ?? null;
  if (alert.ward_id) return (await ctx.places.wardScope(alert.ward_id))?.organisationId ?? null;
  if (alert.gateway_id) return ctx.places.organisationOfSiteCode(alert.gateway_id.split(':')[0]!);
  if (alert.device_id) {
    const route = await ctx.devices.route(alert.device_id);
    return route ? ctx.places.organisationOfSiteCode(route.siteCode) : null;
  }
  return null;
}

/** An alert the user may see (staff: their organisation's, of their wards when limited), or 404. */
export async function alertInScope<
  T extends {
    patient_id: string | null;
    ward_id: string | null;
    gateway_id: string | null;
    device_id: string | null;
  },
>(
  ctx: ScopeSources & { devices: DeviceRepository },
  user: AuthenticatedUser,
  alert: T | undefined,
): Promise<T> {
  if (!alert || !user.organisationId || (await alertOrganisation(ctx, alert)) !== user.organisationId)
    throw new Errors.notFound('alert');
  if (
    user.role !== 'family' &&
    user.wardIds !== null &&
    !(alert.ward_id && user.wardIds.includes(alert.ward_id))
  )
    throw new Errors.notFound('alert');
  return alert;
}
