import type { ByteReader, ByteWriter } from './bytes.js';

/**
 * The GATT Date Time characteristic format (org.bluetooth.characteristic.date_time, 0x2A08),
 * embedded as the Time Stamp field of BLS, GLS, HTS and WSS measurements. 7 octets:
 *
 *   year u16 (1582..9999, 0 = not known), month u8 (1..12, 0 = not known), day u8 (1..31,
 *   0 = not known), hours u8 (0..23), minutes u8 (0..59), seconds u8 (0..59)
 *
 * The format carries no time zone: it is whatever the device clock says. Wardline gateways set
 * device clocks to UTC (Current Time Service, a later issue), so these fields are read as UTC.
 */
export interface BleDateTime {
  year: number;
  month: number;
  day: number;
  hours: number;
  minutes: number;
  seconds: number;
}

export const DATE_TIME_LENGTH = 7;

export function readDateTime(reader: ByteReader): BleDateTime {
  return {
    year: reader.u16('time stamp year'),
    month: reader.u8('time stamp month'),
    day: reader.u8('time stamp day'),
    hours: reader.u8('time stamp hours'),
    minutes: reader.u8('time stamp minutes'),
    seconds: reader.u8('time stamp seconds'),
  };
}

/** Writes a Date Time; `null` writes the "not known" form (all fields 0). */
export function writeDateTime(writer: ByteWriter, value: BleDateTime | null): void {
  const v = value ?? { year: 0, month: 0, day: 0, hours: 0, minutes: 0, seconds: 0 };
  writer.u16(v.year).u8(v.month).u8(v.day).u8(v.hours).u8(v.minutes).u8(v.seconds);
}

/**
 * Whether the fields name a real instant: year/month/day known and in range, time fields in range,
 * and the day exists in that month (no 30 February).
 */
export function isValidDateTime(v: BleDateTime): boolean {
  if (v.year < 1582 || v.year > 9999 || v.month < 1 || v.month > 12 || v.day < 1 || v.day > 31) return false;
  if (v.hours > 23 || v.minutes > 59 || v.seconds > 59) return false;
  const probe = new Date(Date.UTC(v.year, v.month - 1, v.day));
  return probe.getUTCDate() === v.day;
}

/** The fields as a UTC ISO 8601 string ('2025-03-01T08:30:15Z'), or null if unknown/invalid. */
export function dateTimeToUtcIso(v: BleDateTime | null): string | null {
  if (v === null || !isValidDateTime(v)) return null;
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(v.year, 4)}-${pad(v.month)}-${pad(v.day)}T${pad(v.hours)}:${pad(v.minutes)}:${pad(v.seconds)}Z`;
}

/** The UTC fields of an instant, at whole-second resolution (the format has no sub-seconds). */
export function dateTimeFromDate(date: Date): BleDateTime {
  return {
    year: date.getUTCFullYear(),
    month: date.getUTCMonth() + 1,
    day: date.getUTCDate(),
    hours: date.getUTCHours(),
    minutes: date.getUTCMinutes(),
    seconds: date.getUTCSeconds(),
  };
}
