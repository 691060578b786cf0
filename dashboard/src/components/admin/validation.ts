/**
 * Client-side checks that mirror the API's schemas (protocol/src/ids.ts), so most mistakes are
 * explained before a request is sent. The server remains the authority.
 */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9:_-]{0,63}$/;
export const SITE_CODE_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

export type FieldErrors<K extends string> = Partial<Record<K, string>>;

export function validateAdmission(v: {
  displayName: string;
  bedId: string;
}): FieldErrors<'displayName' | 'bedId'> {
  const errors: FieldErrors<'displayName' | 'bedId'> = {};
  const name = v.displayName.trim();
  if (!name) errors.displayName = 'Enter the resident’s name';
  else if (name.length > 120) errors.displayName = 'Name must be 120 characters or fewer';
  if (!v.bedId) errors.bedId = 'Choose a free bed';
  return errors;
}

export function validateDevice(v: {
  deviceId: string;
  model: string;
  siteCode: string;
}): FieldErrors<'deviceId' | 'model' | 'siteCode'> {
  const errors: FieldErrors<'deviceId' | 'model' | 'siteCode'> = {};
  const id = v.deviceId.trim();
  if (!id) errors.deviceId = 'Enter the device ID';
  else if (!DEVICE_ID_PATTERN.test(id))
    errors.deviceId =
      'Device ID must start with a letter or number and use only letters, numbers, colons, hyphens and underscores (up to 64)';
  const model = v.model.trim();
  if (!model) errors.model = 'Enter the device model';
  else if (model.length > 64) errors.model = 'Model must be 64 characters or fewer';
  if (!v.siteCode) errors.siteCode = 'Choose the site';
  else if (!SITE_CODE_PATTERN.test(v.siteCode))
    errors.siteCode = 'Site code must be lower-case letters, numbers and hyphens';
  return errors;
}
