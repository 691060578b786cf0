import type { BpReport, PosturalStatus, PosturalTest, PosturalTestRequest } from '@wardline/protocol';
import { request } from '../../../api/client.js';

const base = (patientId: string) => `/api/patients/${encodeURIComponent(patientId)}`;
const range = (from: Date, to: Date) =>
  `from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}`;

export function getBpReport(
  patientId: string,
  from: Date,
  to: Date,
  signal?: AbortSignal,
): Promise<BpReport> {
  return request<BpReport>(
    'GET',
    `${base(patientId)}/bp-report?${range(from, to)}`,
    signal ? { signal } : {},
  );
}

export function bpReportCsvUrl(patientId: string, from: Date, to: Date): string {
  return `${base(patientId)}/bp-report?${range(from, to)}&format=csv`;
}

export function getPosturalTests(patientId: string, signal?: AbortSignal): Promise<PosturalStatus> {
  return request<PosturalStatus>('GET', `${base(patientId)}/postural-tests`, signal ? { signal } : {});
}

export function postPosturalTest(patientId: string, test: PosturalTestRequest): Promise<PosturalTest> {
  return request<PosturalTest>('POST', `${base(patientId)}/postural-tests`, { body: test });
}

export function putBpTreatment(patientId: string, treated: boolean): Promise<{ treated: boolean }> {
  return request<{ treated: boolean }>('PUT', `${base(patientId)}/bp-treatment`, { body: { treated } });
}
