/**
 * Bluetooth SIG Device Information Service 1.1 (DIS, service 0x180A): read once per connection
 * for logs and support (which model and firmware sent this). Every characteristic used here is a
 * UTF-8 string (DIS 3.1-3.6).
 */
import { DecodeError, DecodeErrorCode } from '../../errors.js';
import { uuid16 } from '../../uuids.js';

export const DEVICE_INFORMATION_SERVICE_UUID = uuid16(0x180a);

export const DEVICE_INFORMATION_STRINGS = {
  manufacturer: uuid16(0x2a29), // DIS 3.1 Manufacturer Name String
  model: uuid16(0x2a24), // DIS 3.2 Model Number String
  serial: uuid16(0x2a25), // DIS 3.3 Serial Number String
  hardware: uuid16(0x2a27), // DIS 3.4 Hardware Revision String
  firmware: uuid16(0x2a26), // DIS 3.5 Firmware Revision String
  software: uuid16(0x2a28), // DIS 3.6 Software Revision String
} as const;
export type DeviceInformationField = keyof typeof DEVICE_INFORMATION_STRINGS;
export type DeviceInformation = Partial<Record<DeviceInformationField, string>>;

/** Longest value kept: an attribute value is at most 512 octets (Core Vol 3 Part F §3.2.9). */
export const MAX_STRING_LENGTH = 512;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A DIS string; trailing NULs (padding some devices send) removed, control characters refused. */
export function decodeString(bytes: Uint8Array): string {
  if (bytes.byteLength > MAX_STRING_LENGTH) {
    throw new DecodeError(DecodeErrorCode.inconsistentLength, `string of ${bytes.byteLength} octets`);
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new DecodeError(DecodeErrorCode.unsupportedFormat, 'string is not UTF-8');
  }
  text = text.replace(/\0+$/, '');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(text)) {
    throw new DecodeError(DecodeErrorCode.unsupportedFormat, 'string holds control characters');
  }
  return text;
}

export function encodeString(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
