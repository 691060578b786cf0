import createError from '@fastify/error';

/** The server's error registry: stable codes, each with its HTTP status. Tests assert on codes. */
export const Errors = {
  unauthenticated: createError('WL_UNAUTHENTICATED', 'Sign in to continue', 401),
  badCredentials: createError('WL_BAD_CREDENTIALS', 'Wrong username or password', 401),
  signInLocked: createError<[number]>(
    'WL_SIGN_IN_LOCKED',
    'Too many failed sign-ins: try again in %d seconds, or ask an administrator to lift the lock',
    429,
  ),
  accountDisabled: createError('WL_ACCOUNT_DISABLED', 'This account is disabled: ask an administrator', 403),
  badOrigin: createError('WL_BAD_ORIGIN', 'This request did not come from the Wardline dashboard', 403),
  forbidden: createError('WL_FORBIDDEN', 'Your role does not allow this', 403),
  notFound: createError<[string]>('WL_NOT_FOUND', '%s not found', 404),
  conflict: createError<[string]>('WL_CONFLICT', '%s', 409),
  badRange: createError<[string]>('WL_BAD_RANGE', '%s', 400),
  /** A request that fails its route's schema; the message names the field and what it must be. */
  badRequest: createError<[string]>('WL_BAD_REQUEST', '%s', 400),
  timeSeriesUnavailable: createError<[string]>('WL_TIMESERIES_UNAVAILABLE', 'Time-series store: %s', 503),
};
