/**
 * Bluetooth SIG Current Time Service 1.1 (CTS, service 0x1805), Current Time characteristic
 * (0x2A2B, CTS 3.1): the gateway writes it, where the device allows, so that device time stamps
 * are UTC. Layout (10 octets): Exact Time 256 = Date Time (7) + Day of Week u8 (1 Monday ... 7
 * Sunday, 0 unknown) + Fractions256 u8; then Adjust Reason u8 (bit 0 manual time update, bit 1
 * external reference time update, bit 2 change of time zone, bit 3 change of DST).
 */
import { ByteReader, ByteWriter } from '../../bytes.js';
import { dateTimeFromDate, readDateTime, writeDateTime, type BleDateTime } from '../../date-time.js';
import { DecodeError, DecodeErrorCode } from '../../errors.js';
import { uuid16 } from '../../uuids.js';

export const CURRENT_TIME_SERVICE_UUID = uuid16(0x1805);
export const CURRENT_TIME_UUID = uuid16(0x2a2b);
export const CURRENT_TIME_LENGTH = 10;
export const ADJUST_REASON_EXTERNAL_REFERENCE = 0x02;

export interface CurrentTime {
  dateTime: BleDateTime;
  /** 1 Monday ... 7 Sunday; 0 not known. */
  dayOfWeek: number;
  /** 1/256 s. */
  fractions256: number;
  adjustReason: number;
}

/** The value a gateway writes: UTC now, adjusted from an external reference (its NTP clock). */
export function currentTimeFromDate(date: Date): CurrentTime {
  return {
    dateTime: dateTimeFromDate(date),
    dayOfWeek: ((date.getUTCDay() + 6) % 7) + 1,
    fractions256: Math.floor((date.getUTCMilliseconds() * 256) / 1000),
    adjustReason: ADJUST_REASON_EXTERNAL_REFERENCE,
  };
}

export function encode(value: CurrentTime): Uint8Array {
  const writer = new ByteWriter();
  writeDateTime(writer, value.dateTime);
  return writer.u8(value.dayOfWeek).u8(value.fractions256).u8(value.adjustReason).toBytes();
}

export function decode(bytes: Uint8Array): CurrentTime {
  if (bytes.byteLength !== CURRENT_TIME_LENGTH) {
    throw new DecodeError(
      bytes.byteLength < CURRENT_TIME_LENGTH ? DecodeErrorCode.truncated : DecodeErrorCode.inconsistentLength,
      `current time: ${CURRENT_TIME_LENGTH} bytes expected, got ${bytes.byteLength}`,
    );
  }
  const reader = new ByteReader(bytes);
  return {
    dateTime: readDateTime(reader),
    dayOfWeek: reader.u8('day of week'),
    fractions256: reader.u8('fractions256'),
    adjustReason: reader.u8('adjust reason'),
  };
}
