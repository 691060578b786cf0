import { DecodeError, DecodeErrorCode } from './errors.js';

/**
 * Bounds-checked little-endian reads over a characteristic value. Bluetooth GATT values are
 * little-endian (Core Specification Vol 3 Part G §3.3.3, "LSO to MSO"). Decoders check lengths up
 * front; this reader is the second line of defence, so a decoder bug fails with TRUNCATED rather
 * than reading past the end.
 */
export class ByteReader {
  private readonly view: DataView;
  private position = 0;

  constructor(readonly bytes: Uint8Array) {
    // A Buffer may be a slice of a shared pool: respect its offset.
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get offset(): number {
    return this.position;
  }

  get remaining(): number {
    return this.bytes.byteLength - this.position;
  }

  private take(size: number, field: string): number {
    if (this.position + size > this.bytes.byteLength) {
      throw new DecodeError(
        DecodeErrorCode.truncated,
        `${field}: needs ${size} byte(s) at offset ${this.position}, ${this.remaining} left`,
      );
    }
    const at = this.position;
    this.position += size;
    return at;
  }

  u8(field: string): number {
    return this.view.getUint8(this.take(1, field));
  }

  u16(field: string): number {
    return this.view.getUint16(this.take(2, field), true);
  }

  u32(field: string): number {
    return this.view.getUint32(this.take(4, field), true);
  }
}

/** Little-endian writer for the simulators' encoders. */
export class ByteWriter {
  private readonly parts: number[] = [];

  u8(value: number): this {
    checkUint(value, 0xff, 'u8');
    this.parts.push(value);
    return this;
  }

  u16(value: number): this {
    checkUint(value, 0xffff, 'u16');
    this.parts.push(value & 0xff, (value >>> 8) & 0xff);
    return this;
  }

  u32(value: number): this {
    checkUint(value, 0xffffffff, 'u32');
    this.parts.push(value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff);
    return this;
  }

  toBytes(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

function checkUint(value: number, max: number, type: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${value} does not fit ${type}`);
  }
}

/** Lower-case hex of a byte array (for test vectors and logs of lengths, never of payloads). */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/[\s:_-]/g, '');
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) throw new Error(`invalid hex: ${hex}`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}
