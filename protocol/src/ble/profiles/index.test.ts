import { describe, expect, it } from 'vitest';
import { characteristicHandlers, deviceProfiles, handlerFor, profileForAdvertisement } from './index.js';

describe('characteristic dispatch table', () => {
  it('finds handlers by characteristic UUID in any spelling', () => {
    expect(handlerFor('2a35')?.profile).toBe('blood-pressure');
    expect(handlerFor('2A35')?.profile).toBe('blood-pressure');
    expect(handlerFor('00002a35-0000-1000-8000-00805f9b34fb')?.profile).toBe('blood-pressure');
    expect(handlerFor('55e30002-0af7-4dca-9354-00653a5aeadd')?.profile).toBe('falls');
    expect(handlerFor('55e300020af74dca935400653a5aeadd')?.name).toBe('Falls Event');
    expect(handlerFor('2a19')?.profile).toBe('battery');
    expect(handlerFor('2a37')?.profile).toBe('heart-rate');
    expect(handlerFor('2a1c')?.profile).toBe('health-thermometer');
    expect(handlerFor('2a5e')?.name).toBe('PLX Spot-check Measurement');
    expect(handlerFor('2a5f')?.name).toBe('PLX Continuous Measurement');
  });

  it('has nothing for characteristics it does not understand, or garbage', () => {
    expect(handlerFor('2a36')).toBeUndefined(); // Intermediate Cuff Pressure: deliberately not
    expect(handlerFor('zz')).toBeUndefined();
  });

  it('keys every row by its own normalised UUID', () => {
    for (const [uuid, handler] of characteristicHandlers) expect(handler.uuid).toBe(uuid);
  });

  it('matches advertisements to device profiles from data', () => {
    expect(profileForAdvertisement({ serviceUuids: ['1810'] })?.id).toBe('blood-pressure');
    expect(profileForAdvertisement({ serviceUuids: ['55E30001-0AF7-4DCA-9354-00653A5AEADD'] })?.id).toBe(
      'falls',
    );
    expect(profileForAdvertisement({ serviceUuids: ['180f'] })).toBeUndefined();
    expect(profileForAdvertisement({ serviceUuids: ['1822', '180f'] })?.id).toBe('pulse-oximeter');
    expect(profileForAdvertisement({ serviceUuids: ['1809'] })?.id).toBe('health-thermometer');
    expect(profileForAdvertisement({ serviceUuids: ['180d'] })?.id).toBe('heart-rate');
    expect(deviceProfiles.map((p) => p.id)).toEqual([
      'blood-pressure',
      'falls',
      'pulse-oximeter',
      'health-thermometer',
      'heart-rate',
    ]);
  });
});
