import { describe, expect, it } from 'vitest';
import { validateAdmission, validateDevice } from './validation.js';

describe('admin form validation', () => {
  it('asks for a name and a bed', () => {
    expect(validateAdmission({ displayName: '  ', bedId: '' })).toEqual({
      displayName: 'Enter the resident’s name',
      bedId: 'Choose a free bed',
    });
    expect(validateAdmission({ displayName: 'Ada', bedId: 'b1' })).toEqual({});
  });

  it('checks device IDs like the server does', () => {
    expect(validateDevice({ deviceId: 'e2:00:00:00:00:09', model: 'cuff', siteCode: 'site-1' })).toEqual({});
    expect(validateDevice({ deviceId: ':bad id', model: '', siteCode: 'Site 1' })).toEqual({
      deviceId: expect.stringContaining('must start with a letter or number'),
      model: 'Enter the device model',
      siteCode: expect.stringContaining('lower-case'),
    });
  });
});
