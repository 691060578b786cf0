import { useState } from 'react';
import { adminErrorMessage, type AdminAction } from './errors.js';
import type { FieldErrors } from './validation.js';

/**
 * The submission state every admin form shares: field errors from validation, the API's refusal
 * in words, a counter that moves focus to the error summary on each attempt, and a busy guard
 * against double submission.
 */
export function useAdminForm<K extends string>(action: AdminAction) {
  const [errors, setErrors] = useState<FieldErrors<K>>({});
  const [apiError, setApiError] = useState<{ message: string; code: string | null } | null>(null);
  const [attempt, setAttempt] = useState(0);
  const [busy, setBusy] = useState(false);

  /** Shows the validation errors, or runs the change when there are none. */
  const run = async (validate: () => FieldErrors<K>, change: () => Promise<void>): Promise<void> => {
    if (busy) return;
    setAttempt((n) => n + 1);
    const found = validate();
    setErrors(found);
    setApiError(null);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    try {
      await change();
    } catch (err) {
      setApiError(adminErrorMessage(err, action));
    } finally {
      setBusy(false);
    }
  };

  return { errors, apiError, attempt, busy, run };
}
