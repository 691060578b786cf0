import { falls } from '@wardline/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SimulatedFallsSensor } from './falls-sensor.js';

const AT = new Date('2025-03-01T08:30:15Z');

function events(sensor: SimulatedFallsSensor) {
  const out: Uint8Array[] = [];
  sensor.on('notification', (_id, _s, characteristic, bytes) => {
    if (characteristic === falls.FALLS_EVENT_UUID) out.push(bytes);
  });
  return out;
}

describe('simulated falls sensor', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(AT);
  });
  afterEach(() => vi.useRealTimers());

  it('sends a fall as real Falls Event bytes, three times byte-identical (PROTOCOL.md §5)', () => {
    const sensor = new SimulatedFallsSensor({ deviceId: 'c0:ff:ee:02:00:01', counterStart: 42 });
    const sent = events(sensor);
    sensor.connect();
    sensor.fall(87);
    vi.advanceTimersByTime(2500);
    expect(sent).toHaveLength(3);
    expect(sent.map((b) => Buffer.from(b).toString('hex'))).toEqual(Array(3).fill('01012a0097c5c26757'));
    sensor.stop();
  });

  // The PROTOCOL.md §8 vectors, octet for octet.
  it.each([
    ['upright', 'upright', 49, '2025-03-01T08:46:00Z', '0104310048c9c267ff'],
    ['no movement', 'noMovement', 50, '2025-03-01T08:35:15Z', '01053200c3c6c267ff'],
  ] as const)(
    'sends %s (revision 1.1) three times byte-identical, confidence 0xFF, as a fall (§3.6, §5)',
    (_name, method, counterStart, at, hex) => {
      const sensor = new SimulatedFallsSensor({ deviceId: 'c0:ff:ee:02:00:01', counterStart });
      const sent = events(sensor);
      sensor.connect();
      sensor[method](new Date(at));
      vi.advanceTimersByTime(2500);
      expect(sent.map((b) => Buffer.from(b).toString('hex'))).toEqual(Array(3).fill(hex));
      sensor.stop();
    },
  );

  it('keeps upright and no-movement events while disconnected, like falls, in order', () => {
    const sensor = new SimulatedFallsSensor({ deviceId: 'x', urgentRepeatCount: 1 });
    const sent = events(sensor);
    sensor.fall(80);
    vi.advanceTimersByTime(300_000);
    sensor.noMovement();
    vi.advanceTimersByTime(300_000);
    sensor.noMovement(); // a further period with no movement: a new event (§3.6)
    sensor.heartbeat();
    vi.advanceTimersByTime(60_000);
    sensor.upright();
    expect(sent).toEqual([]);
    sensor.connect();
    const kept = sent.map((b) => falls.decode(b));
    expect(kept.map((e) => [e.type, e.counter, (e.timestamp ?? 0) - AT.getTime() / 1000])).toEqual([
      ['fall', 0, 0],
      ['no_movement', 1, 300],
      ['no_movement', 2, 600],
      ['upright', 3, 660],
    ]);
  });

  it('counts events, including heartbeats, and wraps at 65535', () => {
    const sensor = new SimulatedFallsSensor({ deviceId: 'x', counterStart: 65535, urgentRepeatCount: 1 });
    const sent = events(sensor);
    sensor.connect();
    sensor.heartbeat();
    sensor.pressHelp();
    sensor.heartbeat();
    expect(sent.map((b) => falls.decode(b)).map((e) => [e.type, e.counter])).toEqual([
      ['heartbeat', 65535],
      ['help_button', 0],
      ['heartbeat', 1],
    ]);
  });

  it('beats every heartbeatIntervalMs while connected', () => {
    const sensor = new SimulatedFallsSensor({ deviceId: 'x', heartbeatIntervalMs: 10_000 });
    const sent = events(sensor);
    sensor.connect();
    sensor.startHeartbeat();
    vi.advanceTimersByTime(35_000);
    expect(sent.map((b) => falls.decode(b).type)).toEqual(['heartbeat', 'heartbeat', 'heartbeat']);
    sensor.stop();
    vi.advanceTimersByTime(60_000);
    expect(sent).toHaveLength(3);
  });

  it('keeps the last 8 urgent events while disconnected, with their time stamps, but no heartbeats', () => {
    const sensor = new SimulatedFallsSensor({ deviceId: 'x', urgentRepeatCount: 1 });
    const sent = events(sensor);
    for (let i = 0; i < 10; i++) {
      sensor.fall(50 + i);
      sensor.heartbeat();
      vi.advanceTimersByTime(1000);
    }
    expect(sent).toEqual([]);
    sensor.connect();
    const kept = sent.map((b) => falls.decode(b));
    expect(kept.map((e) => e.confidence)).toEqual([52, 53, 54, 55, 56, 57, 58, 59]);
    expect(kept[0]?.timestamp).toBe(Math.floor(AT.getTime() / 1000) + 2);
  });

  it('sends time stamp 0 when its clock was never set (§3.4)', () => {
    const sensor = new SimulatedFallsSensor({ deviceId: 'x', clockSet: false, urgentRepeatCount: 1 });
    const sent = events(sensor);
    sensor.connect();
    sensor.fall(90);
    expect(falls.decode(sent[0] ?? new Uint8Array()).timestamp).toBeNull();
  });
});
