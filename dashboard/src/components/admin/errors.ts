import { ApiError, describeError } from '../../api/client.js';

export type AdminAction = 'admit' | 'discharge' | 'register' | 'assign' | 'unassign';

const CONFLICT: Record<AdminAction, string> = {
  admit: 'That bed already has a resident. Choose a free bed.',
  discharge: 'This resident has already been discharged.',
  register: 'A device with this ID is already registered.',
  assign: 'The device could not be assigned because something changed. Reload and try again.',
  unassign: 'The device could not be unassigned because something changed. Reload and try again.',
};

const NOT_FOUND: Record<AdminAction, string> = {
  admit: 'That bed no longer exists. Reload the page and choose another.',
  discharge: 'This resident no longer exists.',
  register: 'The server could not find what the device needs.',
  assign: 'The device or the resident no longer exists. Reload the page.',
  unassign: 'That device is not assigned to anyone any more.',
};

/**
 * What to tell an administrator when a change is refused, from the API's stable `code`. The
 * code itself is shown too, so a support call can quote it.
 */
export function adminErrorMessage(
  err: unknown,
  action: AdminAction,
): { message: string; code: string | null } {
  if (!(err instanceof ApiError)) return { message: describeError(err), code: null };
  let message: string;
  if (err.code === 'WL_CONFLICT' || err.status === 409) message = CONFLICT[action];
  else if (err.code === 'WL_NOT_FOUND' || err.status === 404) message = NOT_FOUND[action];
  else if (err.code === 'WL_FORBIDDEN' || err.status === 403)
    message = 'Your account cannot make this change.';
  else if (err.status === 400) message = `The server did not accept these details: ${err.message}.`;
  else message = err.message || describeError(err);
  return { message, code: err.code };
}
