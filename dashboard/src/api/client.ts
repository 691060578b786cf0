import type {
  Alert,
  AlertState,
  AlertWithHistory,
  History,
  HistoryRange,
  News2History,
  News2Summary,
  WardNews2,
  ManualObservationRequest,
  Thresholds,
  FamilyContact,
  FamilyContactInput,
  PatientThresholds,
  Assignment,
  BedState,
  DeadLetter,
  DeviceState,
  GatewayStatus,
  LoginRequest,
  LoginResponse,
  ObservationKind,
  PatientSummary,
  SessionUser,
  StoredObservation,
  Ward,
} from '@wardline/protocol';

/**
 * The dashboard's only door to the REST API. Every call is same-origin and authenticated by the
 * httpOnly session cookie the server sets at sign-in; the dashboard never sees or stores a token.
 */

/** A non-2xx answer from the server, carrying its `{ statusCode, code, error, message }` body. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The server could not be reached at all (offline, server down, proxy error without a body). */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';
}

type UnauthorizedHandler = () => void;
let unauthorizedHandler: UnauthorizedHandler | null = null;

/**
 * Called when an authenticated call answers 401 (the session expired or was revoked), so the app
 * can return to the sign-in screen. Returns a function that removes the handler.
 */
export function setUnauthorizedHandler(handler: UnauthorizedHandler): () => void {
  unauthorizedHandler = handler;
  return () => {
    if (unauthorizedHandler === handler) unauthorizedHandler = null;
  };
}

export interface RequestOptions {
  body?: unknown;
  signal?: AbortSignal;
  /** False for the auth endpoints, where a 401 is an expected answer rather than an expiry. */
  reportUnauthorized?: boolean;
}

export function isApiErrorBody(body: unknown): body is { code: string; message: string } {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as { code?: unknown }).code === 'string' &&
    typeof (body as { message?: unknown }).message === 'string'
  );
}

export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const init: RequestInit = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(options.body);
  }
  if (options.signal) init.signal = options.signal;

  let res: Response;
  try {
    res = await fetch(path, init);
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new NetworkError('Cannot reach the Wardline server.');
  }

  const text = await res.text();
  let body: unknown = undefined;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
  }

  if (!res.ok) {
    if (res.status === 401 && options.reportUnauthorized !== false) unauthorizedHandler?.();
    if (isApiErrorBody(body)) throw new ApiError(res.status, body.code, body.message);
    if (res.status >= 502 && res.status <= 504) throw new NetworkError('Cannot reach the Wardline server.');
    throw new ApiError(res.status, `HTTP_${res.status}`, res.statusText || `Request failed (${res.status})`);
  }
  return body as T;
}

export function login(credentials: LoginRequest): Promise<LoginResponse> {
  return request<LoginResponse>('POST', '/api/auth/login', { body: credentials, reportUnauthorized: false });
}

export async function logout(): Promise<void> {
  await request<unknown>('POST', '/api/auth/logout', { reportUnauthorized: false });
}

/** The signed-in user, or null when there is no valid session. */
/** Who is signed in on this browser, or null: answered without a 401, so a signed-out page logs no error. */
export async function getSession(signal?: AbortSignal): Promise<SessionUser | null> {
  return (await getSessionInfo(signal)).user;
}

/** The session, and whether this server runs the demo (its residents, devices and events simulated). */
export async function getSessionInfo(
  signal?: AbortSignal,
): Promise<{ user: SessionUser | null; demo: boolean }> {
  const { user, demo } = await request<{ user: SessionUser | null; demo?: boolean }>(
    'GET',
    '/api/auth/session',
    { reportUnauthorized: false, ...(signal && { signal }) },
  );
  return { user, demo: demo === true };
}

export function listWards(signal?: AbortSignal): Promise<Ward[]> {
  return request<Ward[]>('GET', '/api/wards', signal ? { signal } : {});
}

export function listBeds(wardId: string, signal?: AbortSignal): Promise<BedState[]> {
  return request<BedState[]>(
    'GET',
    `/api/wards/${encodeURIComponent(wardId)}/beds`,
    signal ? { signal } : {},
  );
}

export const opts = (signal?: AbortSignal): RequestOptions => (signal ? { signal } : {});
export const seg = encodeURIComponent;

export function listPatients(signal?: AbortSignal): Promise<PatientSummary[]> {
  return request<PatientSummary[]>('GET', '/api/patients', opts(signal));
}

export function getPatient(patientId: string, signal?: AbortSignal): Promise<PatientSummary> {
  return request<PatientSummary>('GET', `/api/patients/${seg(patientId)}`, opts(signal));
}

export interface ObservationQuery {
  kind?: ObservationKind;
  /** ISO time, inclusive. */
  from?: string;
  /** ISO time, exclusive. */
  to?: string;
  limit?: number;
  /** 'desc': newest first (with limit 1, the latest reading). */
  order?: 'asc' | 'desc';
}

/** A resident's stored observations, oldest first (the server's order). */
export function listObservations(
  patientId: string,
  query: ObservationQuery = {},
  signal?: AbortSignal,
): Promise<StoredObservation[]> {
  const params = new URLSearchParams();
  if (query.kind) params.set('kind', query.kind);
  if (query.from) params.set('from', query.from);
  if (query.to) params.set('to', query.to);
  if (query.limit !== undefined) params.set('limit', String(query.limit));
  if (query.order) params.set('order', query.order);
  const qs = params.toString();
  return request<StoredObservation[]>(
    'GET',
    `/api/patients/${seg(patientId)}/observations${qs ? `?${qs}` : ''}`,
    opts(signal),
  );
}

export function admitPatient(body: { displayName: string; bedId: string }): Promise<PatientSummary> {
  return request<PatientSummary>('POST', '/api/patients', { body });
}

export function dischargePatient(patientId: string): Promise<PatientSummary> {
  return request<PatientSummary>('POST', `/api/patients/${seg(patientId)}/discharge`);
}

export function listDevices(signal?: AbortSignal): Promise<DeviceState[]> {
  return request<DeviceState[]>('GET', '/api/devices', opts(signal));
}

export function registerDevice(body: {
  deviceId: string;
  model: string;
  siteCode: string;
}): Promise<unknown> {
  return request<unknown>('POST', '/api/devices', { body });
}

export function listAssignments(signal?: AbortSignal): Promise<Assignment[]> {
  return request<Assignment[]>('GET', '/api/assignments', opts(signal));
}

export function assignDevice(deviceId: string, patientId: string): Promise<Assignment> {
  return request<Assignment>('PUT', `/api/devices/${seg(deviceId)}/assignment`, { body: { patientId } });
}

export async function unassignDevice(deviceId: string): Promise<void> {
  await request<unknown>('DELETE', `/api/devices/${seg(deviceId)}/assignment`);
}

/** GET /api/gateways: not in @wardline/protocol yet, so its shape is written out here. */
export interface GatewaySummary {
  id: string;
  siteCode: string;
  wardId: string | null;
  status: GatewayStatus | null;
  statusAt: string | null;
}

export function listGateways(signal?: AbortSignal): Promise<GatewaySummary[]> {
  return request<GatewaySummary[]>('GET', '/api/gateways', opts(signal));
}

export function listDeadLetters(
  query: { code?: string | null; before?: number; limit?: number } = {},
  signal?: AbortSignal,
): Promise<DeadLetter[]> {
  const params = new URLSearchParams();
  if (query.code) params.set('code', query.code);
  if (query.before !== undefined) params.set('before', String(query.before));
  if (query.limit !== undefined) params.set('limit', String(query.limit));
  const qs = params.toString();
  return request<DeadLetter[]>('GET', `/api/dead-letters${qs ? `?${qs}` : ''}`, opts(signal));
}

/** A sentence for the user describing why a call failed. */
export function describeError(err: unknown): string {
  if (err instanceof NetworkError)
    return 'Cannot reach the Wardline server. Check the connection and try again.';
  if (err instanceof ApiError) return err.message;
  return 'Something went wrong. Try again.';
}

// ---- Clinical alerting (server/src/routes/alerts.ts) -------------------------------------------

export interface AlertQuery {
  state?: AlertState | 'unresolved';
  wardId?: string;
  patientId?: string;
  condition?: string;
  limit?: number;
}

/** Alerts, newest opened first (the server's order). A family member gets only what consent allows. */
export function listAlerts(query: AlertQuery = {}, signal?: AbortSignal): Promise<Alert[]> {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, String(v));
  const qs = params.toString();
  return request<Alert[]>('GET', `/api/alerts${qs ? `?${qs}` : ''}`, opts(signal));
}

export function getAlert(alertId: number, signal?: AbortSignal): Promise<AlertWithHistory> {
  return request<AlertWithHistory>('GET', `/api/alerts/${alertId}`, opts(signal));
}

export function acknowledgeAlert(alertId: number, note?: string): Promise<Alert> {
  return request<Alert>('POST', `/api/alerts/${alertId}/acknowledge`, { body: note ? { note } : {} });
}

export function resolveAlert(alertId: number, note: string): Promise<Alert> {
  return request<Alert>('POST', `/api/alerts/${alertId}/resolve`, { body: { note } });
}

export function getNews2(patientId: string, signal?: AbortSignal): Promise<News2Summary> {
  return request<News2Summary>('GET', `/api/patients/${seg(patientId)}/news2`, opts(signal));
}

/** Each change of a resident's NEWS2 over the last 7 days, oldest first. */
export function getNews2History(patientId: string, signal?: AbortSignal): Promise<News2History> {
  return request<News2History>('GET', `/api/patients/${seg(patientId)}/news2/history`, opts(signal));
}

/** Every resident's NEWS2 summary on a ward, in one request. */
export function getWardNews2(wardId: string, signal?: AbortSignal): Promise<WardNews2> {
  return request<WardNews2>('GET', `/api/wards/${seg(wardId)}/news2`, opts(signal));
}

export function getHistory(
  patientId: string,
  kind: ObservationKind,
  range: HistoryRange,
  signal?: AbortSignal,
  window?: 'raw',
  limit?: number,
): Promise<History> {
  const params = new URLSearchParams({ kind, range });
  if (window) params.set('window', window);
  if (limit !== undefined) params.set('limit', String(limit));
  return request<History>('GET', `/api/patients/${seg(patientId)}/history?${params}`, opts(signal));
}

export function getThresholds(patientId: string, signal?: AbortSignal): Promise<PatientThresholds> {
  return request<PatientThresholds>('GET', `/api/patients/${seg(patientId)}/thresholds`, opts(signal));
}

export function postManualObservations(
  patientId: string,
  body: ManualObservationRequest,
): Promise<StoredObservation['observation'][]> {
  return request<StoredObservation['observation'][]>(
    'POST',
    `/api/patients/${seg(patientId)}/manual-observations`,
    { body },
  );
}

export function updateThresholds(
  patientId: string,
  changes: Partial<Thresholds>,
  reason: string,
): Promise<PatientThresholds> {
  return request<PatientThresholds>('PUT', `/api/patients/${seg(patientId)}/thresholds`, {
    body: { changes, reason },
  });
}

export function listContacts(patientId: string, signal?: AbortSignal): Promise<FamilyContact[]> {
  return request<FamilyContact[]>('GET', `/api/patients/${seg(patientId)}/contacts`, opts(signal));
}

export function createContact(patientId: string, body: FamilyContactInput): Promise<FamilyContact> {
  return request<FamilyContact>('POST', `/api/patients/${seg(patientId)}/contacts`, { body });
}

export function updateContact(
  patientId: string,
  contactId: number,
  body: FamilyContactInput,
): Promise<FamilyContact> {
  return request<FamilyContact>('PUT', `/api/patients/${seg(patientId)}/contacts/${contactId}`, { body });
}

export async function deleteContact(patientId: string, contactId: number): Promise<void> {
  await request<unknown>('DELETE', `/api/patients/${seg(patientId)}/contacts/${contactId}`);
}

// ---- Running an organisation (protocol/src/organisation.ts) -----------------------------------

type EnrolmentHandler = () => void;
let enrolmentHandler: EnrolmentHandler | null = null;

/**
 * Called when a request is refused because this session must enrol a second factor first
 * (403 WL_SECOND_FACTOR_ENROLMENT_REQUIRED), so the app can show the enrolment screen.
 */
export function setEnrolmentRequiredHandler(handler: EnrolmentHandler): () => void {
  enrolmentHandler = handler;
  return () => {
    if (enrolmentHandler === handler) enrolmentHandler = null;
  };
}

export const SECOND_FACTOR_REQUIRED = 'WL_SECOND_FACTOR_REQUIRED';
export const SECOND_FACTOR_ENROLMENT_REQUIRED = 'WL_SECOND_FACTOR_ENROLMENT_REQUIRED';
export const WEAK_PASSWORD = 'WL_WEAK_PASSWORD';

/** `request`, noticing a session that must enrol a second factor before anything else. */
export async function call<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  try {
    return await request<T>(method, path, options);
  } catch (err) {
    if (err instanceof ApiError && err.status === 403 && err.code === SECOND_FACTOR_ENROLMENT_REQUIRED)
      enrolmentHandler?.();
    throw err;
  }
}

export function query(params: Record<string, string | number | boolean | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') search.set(k, String(v));
  const qs = search.toString();
  return qs ? `?${qs}` : '';
}

/** Tells the app a session has ended (for requests made without `request`). */
export function reportUnauthorized(): void {
  unauthorizedHandler?.();
}
