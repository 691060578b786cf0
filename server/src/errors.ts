import createError from '@fastify/error';

/** The server's error registry: stable codes, each with its HTTP status. Tests assert on codes. */
export const Errors = {
  unauthenticated: createError('WL_UNAUTHENTICATED', 'Sign in to continue', 401),
  badCredentials: createError('WL_BAD_CREDENTIALS', 'Wrong username or password', 401),
  forbidden: createError('WL_FORBIDDEN', 'Your role does not allow this', 403),
  notFound: createError<[string]>('WL_NOT_FOUND', '%s not found', 404),
  conflict: createError<[string]>('WL_CONFLICT', '%s', 409),
  badRange: createError<[string]>('WL_BAD_RANGE', '%s', 400),
  timeSeriesUnavailable: createError<[string]>('WL_TIMESERIES_UNAVAILABLE', 'Time-series store: %s', 503),
};
