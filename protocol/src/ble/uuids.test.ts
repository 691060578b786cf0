import { describe, expect, it } from 'vitest';
import { formatUuid, normalizeUuid, sameUuid, toLongUuid, uuid16 } from './uuids.js';

describe('Bluetooth UUIDs in noble form', () => {
  it('writes 16-bit SIG UUIDs as 4 lower-case hex digits', () => {
    expect(uuid16(0x2a35)).toBe('2a35');
    expect(uuid16(0x180f)).toBe('180f');
    expect(() => uuid16(0x10000)).toThrow(RangeError);
  });

  it('normalises every common spelling', () => {
    expect(normalizeUuid('0x2A35')).toBe('2a35');
    expect(normalizeUuid('00002A35-0000-1000-8000-00805F9B34FB')).toBe('2a35');
    expect(normalizeUuid('{55E30001-0AF7-4DCA-9354-00653A5AEADD}')).toBe('55e300010af74dca935400653a5aeadd');
    expect(normalizeUuid('00002a35')).toBe('2a35');
    expect(() => normalizeUuid('not-a-uuid')).toThrow();
    expect(() => normalizeUuid('2a3')).toThrow();
  });

  it('expands and formats', () => {
    expect(toLongUuid('2a35')).toBe('00002a3500001000800000805f9b34fb');
    expect(formatUuid('2a35')).toBe('00002a35-0000-1000-8000-00805f9b34fb');
    expect(sameUuid('2A35', '00002a35-0000-1000-8000-00805f9b34fb')).toBe(true);
  });
});
