import { csvRows } from '../audit/csv.js';

/**
 * The import's columns. Each row is a bed (created if new, in a ward created if new, of a site
 * that exists); with a resident admitted to it when resident_name is given; with a device when
 * device_id is given. A resident with several devices: repeat the site, ward and bed on a row per
 * further device and leave the resident's columns empty.
 */
export const RESIDENT_COLUMNS = [
  'resident_name',
  'preferred_name',
  'nhs_number',
  'date_of_birth',
  'gp_practice_ods',
  'next_of_kin_name',
  'next_of_kin_relationship',
  'next_of_kin_phone',
] as const;
export const IMPORT_COLUMNS = [
  'site_code',
  'ward_name',
  'bed_label',
  ...RESIDENT_COLUMNS,
  'device_id',
  'device_model',
] as const;
export type ImportColumn = (typeof IMPORT_COLUMNS)[number];
export const REQUIRED_COLUMNS: readonly ImportColumn[] = ['site_code', 'ward_name', 'bed_label'];

/** Lines starting with # are comments: the example stays in the file without being imported. */
export const COMMENT = '#';

/** The template: the header and one commented example (a test NHS number, from the 999 range). */
export function importTemplate(exampleSiteCode = 'your-site-code'): string {
  const example = [
    exampleSiteCode,
    'Rose Wing',
    'Room 1',
    'Margaret Example',
    'Peggy',
    '999 555 1233',
    '1938-04-21',
    'A81001',
    'John Example',
    'Son',
    '07700 900123',
    'd0:b1:00:00:00:01',
    'bp-cuff',
  ];
  const furtherDevice = [
    exampleSiteCode,
    'Rose Wing',
    'Room 1',
    '',
    '',
    '',
    '',
    '',
    '',
    '',
    '',
    'd0:fa:00:00:00:01',
    'falls-sensor',
  ];
  return (
    csvRows([[...IMPORT_COLUMNS]]) +
    `${COMMENT} Example (lines starting with ${COMMENT} are ignored); a further device of the same resident on a row of its own:\r\n` +
    `${COMMENT} ${csvRows([example])}` +
    `${COMMENT} ${csvRows([furtherDevice])}`
  );
}
