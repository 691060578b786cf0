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
  secondFactorRequired: createError(
    'WL_SECOND_FACTOR_REQUIRED',
    'Enter the code from your authenticator app to sign in',
    401,
  ),
  secondFactorEnrolmentRequired: createError(
    'WL_SECOND_FACTOR_ENROLMENT_REQUIRED',
    'Your organisation requires administrators to set up a second factor (an authenticator app) first',
    403,
  ),
  weakPassword: createError<[string]>('WL_WEAK_PASSWORD', '%s', 400),
  badAccountToken: createError(
    'WL_BAD_ACCOUNT_TOKEN',
    'This link has expired or has been used already: ask an administrator for a new one',
    400,
  ),
  badTotpCode: createError(
    'WL_BAD_TOTP_CODE',
    'That code is not right: enter the current code from the app',
    400,
  ),
  badTotpSignIn: createError(
    'WL_BAD_TOTP_CODE',
    'That code is not right, or was used already: enter the current code from the app',
    401,
  ),
  badOrigin: createError('WL_BAD_ORIGIN', 'This request did not come from the Wardline dashboard', 403),
  forbidden: createError('WL_FORBIDDEN', 'Your role does not allow this', 403),
  notFound: createError<[string]>('WL_NOT_FOUND', '%s not found', 404),
  conflict: createError<[string]>('WL_CONFLICT', '%s', 409),
  badRange: createError<[string]>('WL_BAD_RANGE', '%s', 400),
  /** A request that fails its route's schema; the message names the field and what it must be. */
  badRequest: createError<[string]>('WL_BAD_REQUEST', '%s', 400),
  timeSeriesUnavailable: createError<[string]>('WL_TIMESERIES_UNAVAILABLE', 'Time-series store: %s', 503),
};
