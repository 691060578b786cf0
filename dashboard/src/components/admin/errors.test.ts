import { describe, expect, it } from 'vitest';
import { ApiError, NetworkError } from '../../api/client.js';
import { adminErrorMessage } from './errors.js';

describe('adminErrorMessage', () => {
  it('explains a refused change from the API code', () => {
    expect(adminErrorMessage(new ApiError(409, 'WL_CONFLICT', 'bed b1 is occupied'), 'admit')).toEqual({
      message: 'That bed already has a resident. Choose a free bed.',
      code: 'WL_CONFLICT',
    });
    expect(adminErrorMessage(new ApiError(404, 'WL_NOT_FOUND', 'bed not found'), 'admit').message).toMatch(
      /no longer exists/,
    );
    expect(
      adminErrorMessage(
        new ApiError(400, 'FST_ERR_VALIDATION', 'body/deviceId must match pattern'),
        'register',
      ).message,
    ).toContain('body/deviceId must match pattern');
  });

  it('says when the server cannot be reached', () => {
    expect(adminErrorMessage(new NetworkError('x'), 'assign')).toEqual({
      message: 'Cannot reach the Wardline server. Check the connection and try again.',
      code: null,
    });
  });
});
