import type {
  AccountLinkResponse,
  AccountTokenInfo,
  AdmitPatientRequest,
  AuditEvent,
  AuditQuery,
  Bed,
  CreateBedsRequest,
  CreateOrganisationRequest,
  CreateOrganisationResponse,
  CreateSiteRequest,
  CreateWardRequest,
  ImportResult,
  InviteStaffRequest,
  Kit,
  KitCredentialsResponse,
  KitPage,
  Organisation,
  PatientDetails,
  PatientListItem,
  PatientRecord,
  RegisterKitRequest,
  RotateKitRequest,
  SetPasswordRequest,
  SetPasswordResponse,
  Site,
  StaffAccount,
  TotpEnrolment,
  UpdateOrganisationRequest,
  UpdateStaffRequest,
  Ward,
} from '@wardline/protocol';
import {
  ApiError,
  NetworkError,
  call,
  isApiErrorBody,
  opts,
  query,
  reportUnauthorized,
  request,
  seg,
} from './client.js';

/**
 * The API for running an organisation (protocol/src/organisation.ts): places, patients, staff,
 * accounts, organisations, kits, import and audit. Apart from client.ts so that the first load
 * (a ward tablet's) does not carry it: only the admin and account chunks import it.
 */

export type { AccountTokenInfo };

// Places

export function listSites(signal?: AbortSignal): Promise<Site[]> {
  return call<Site[]>('GET', '/api/sites', opts(signal));
}
export function createSite(body: CreateSiteRequest): Promise<Site> {
  return call<Site>('POST', '/api/sites', { body });
}
export function renameSite(siteId: string, name: string): Promise<Site> {
  return call<Site>('PATCH', `/api/sites/${seg(siteId)}`, { body: { name } });
}
export function closeSite(siteId: string): Promise<Site> {
  return call<Site>('POST', `/api/sites/${seg(siteId)}/close`);
}
export function createWard(body: CreateWardRequest): Promise<Ward> {
  return call<Ward>('POST', '/api/wards', { body });
}
export function renameWard(wardId: string, name: string): Promise<Ward> {
  return call<Ward>('PATCH', `/api/wards/${seg(wardId)}`, { body: { name } });
}
export function closeWard(wardId: string): Promise<Ward> {
  return call<Ward>('POST', `/api/wards/${seg(wardId)}/close`);
}
export function createBeds(wardId: string, body: CreateBedsRequest): Promise<Bed[]> {
  return call<Bed[]>('POST', `/api/wards/${seg(wardId)}/beds`, { body });
}
export function listBedList(wardId: string, signal?: AbortSignal): Promise<Bed[]> {
  return call<Bed[]>('GET', `/api/wards/${seg(wardId)}/bed-list`, opts(signal));
}
export function renameBed(bedId: string, label: string): Promise<Bed> {
  return call<Bed>('PATCH', `/api/beds/${seg(bedId)}`, { body: { label } });
}
export function closeBed(bedId: string): Promise<Bed> {
  return call<Bed>('POST', `/api/beds/${seg(bedId)}/close`);
}

// Patients

export function admitNewPatient(body: AdmitPatientRequest): Promise<PatientRecord> {
  return call<PatientRecord>('POST', '/api/patients', { body });
}
export function searchPatients(
  q: { q?: string; includeDischarged?: boolean; limit?: number },
  signal?: AbortSignal,
): Promise<PatientListItem[]> {
  return call<PatientListItem[]>('GET', `/api/patients${query(q)}`, opts(signal));
}
export function getPatientRecord(patientId: string, signal?: AbortSignal): Promise<PatientRecord> {
  return call<PatientRecord>('GET', `/api/patients/${seg(patientId)}`, opts(signal));
}
export function updatePatient(patientId: string, body: Partial<PatientDetails>): Promise<PatientRecord> {
  return call<PatientRecord>('PATCH', `/api/patients/${seg(patientId)}`, { body });
}
export function readmitPatient(patientId: string, bedId: string): Promise<PatientRecord> {
  return call<PatientRecord>('POST', `/api/patients/${seg(patientId)}/admit`, { body: { bedId } });
}

// Staff

export function listStaff(signal?: AbortSignal): Promise<StaffAccount[]> {
  return call<StaffAccount[]>('GET', '/api/staff', opts(signal));
}
export function inviteStaff(body: InviteStaffRequest): Promise<AccountLinkResponse> {
  return call<AccountLinkResponse>('POST', '/api/staff', { body });
}
export function updateStaff(username: string, body: UpdateStaffRequest): Promise<StaffAccount> {
  return call<StaffAccount>('PATCH', `/api/staff/${seg(username)}`, { body });
}
export function disableStaff(username: string): Promise<StaffAccount> {
  return call<StaffAccount>('POST', `/api/staff/${seg(username)}/disable`);
}
export function enableStaff(username: string): Promise<StaffAccount> {
  return call<StaffAccount>('POST', `/api/staff/${seg(username)}/enable`);
}
export function resetStaffPassword(username: string): Promise<AccountLinkResponse> {
  return call<AccountLinkResponse>('POST', `/api/staff/${seg(username)}/reset-password`);
}
export async function removeStaffTotp(username: string): Promise<void> {
  await call<unknown>('DELETE', `/api/staff/${seg(username)}/totp`);
}

// Accounts: setting a password from a one-time link, and the second factor

export function inspectAccountToken(token: string, signal?: AbortSignal): Promise<AccountTokenInfo> {
  return request<AccountTokenInfo>('POST', '/api/auth/account-token/inspect', {
    body: { token },
    reportUnauthorized: false,
    ...(signal && { signal }),
  });
}
/** Signed in afterwards (a token) unless the account has a second factor: then sign in as usual. */
export function setPassword(body: SetPasswordRequest): Promise<SetPasswordResponse> {
  return request<SetPasswordResponse>('POST', '/api/auth/set-password', { body, reportUnauthorized: false });
}
export function enrolTotp(): Promise<TotpEnrolment> {
  return request<TotpEnrolment>('POST', '/api/auth/totp/enrol');
}
export async function confirmTotp(code: string): Promise<void> {
  await request<unknown>('POST', '/api/auth/totp/confirm', { body: { code } });
}

// Organisations (operator)

export function listOrganisations(signal?: AbortSignal): Promise<Organisation[]> {
  return call<Organisation[]>('GET', '/api/organisations', opts(signal));
}
export function createOrganisation(body: CreateOrganisationRequest): Promise<CreateOrganisationResponse> {
  return call<CreateOrganisationResponse>('POST', '/api/organisations', { body });
}
export function updateOrganisation(id: string, body: UpdateOrganisationRequest): Promise<Organisation> {
  return call<Organisation>('PATCH', `/api/organisations/${seg(id)}`, { body });
}
export function closeOrganisation(id: string): Promise<Organisation> {
  return call<Organisation>('POST', `/api/organisations/${seg(id)}/close`);
}

// Kits

export function listKits(signal?: AbortSignal): Promise<Kit[]> {
  return call<Kit[]>('GET', '/api/kits', opts(signal));
}
export function registerKit(body: RegisterKitRequest): Promise<KitCredentialsResponse> {
  return call<KitCredentialsResponse>('POST', '/api/kits', { body });
}
/** The kit's page: the kit, how its hub and devices are doing, and whom it was issued to. */
export function getKit(kitId: string, signal?: AbortSignal): Promise<KitPage> {
  return call<KitPage>('GET', `/api/kits/${seg(kitId)}`, opts(signal));
}
export function rotateKit(kitId: string, body: RotateKitRequest): Promise<KitCredentialsResponse> {
  return call<KitCredentialsResponse>('POST', `/api/kits/${seg(kitId)}/rotate`, { body });
}
export function revokeKit(kitId: string): Promise<Kit> {
  return call<Kit>('POST', `/api/kits/${seg(kitId)}/revoke`);
}
export function issueKit(kitId: string, patientId: string): Promise<Kit> {
  return call<Kit>('POST', `/api/kits/${seg(kitId)}/issue`, { body: { patientId } });
}
export function returnKit(kitId: string): Promise<Kit> {
  return call<Kit>('POST', `/api/kits/${seg(kitId)}/return`);
}

// Import

export const IMPORT_TEMPLATE_URL = '/api/import/template.csv';

/** Sends a CSV file; with dryRun, only checks it (nothing is stored either way unless all rows pass). */
export async function importCsv(csv: string, dryRun: boolean): Promise<ImportResult> {
  let res: Response;
  try {
    res = await fetch(`/api/import${dryRun ? '?dryRun=true' : ''}`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/csv', Accept: 'application/json' },
      credentials: 'same-origin',
      cache: 'no-store',
      body: csv,
    });
  } catch {
    throw new NetworkError('Cannot reach the Wardline server.');
  }
  const body: unknown = await res.json().catch(() => undefined);
  // A file with row errors is answered with the verdict itself (200 or 422): show the rows.
  if (typeof body === 'object' && body !== null && Array.isArray((body as ImportResult).errors))
    return body as ImportResult;
  if (res.status === 401) reportUnauthorized();
  if (isApiErrorBody(body)) throw new ApiError(res.status, body.code, body.message);
  throw new ApiError(res.status, `HTTP_${res.status}`, res.statusText || `Request failed (${res.status})`);
}

// Audit

export type AuditFilters = Omit<Partial<AuditQuery>, 'limit' | 'before'>;

export function auditQueryString(
  filters: AuditFilters,
  page: { limit?: number; before?: number } = {},
): string {
  return query({ ...filters, ...page });
}
export function listAudit(
  filters: AuditFilters,
  page: { limit?: number; before?: number } = {},
  signal?: AbortSignal,
): Promise<AuditEvent[]> {
  return call<AuditEvent[]>('GET', `/api/audit${auditQueryString(filters, page)}`, opts(signal));
}
export function auditExportUrl(filters: AuditFilters): string {
  return `/api/audit.csv${auditQueryString(filters)}`;
}
