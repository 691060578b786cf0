/**
 * NHS numbers: ten digits whose last is a modulus 11 check digit (NHS Data Dictionary, "NHS
 * Number"). Weights 10..2 over the first nine digits; check = 11 - (sum mod 11); 11 means 0 and
 * 10 means the number is invalid. People write them with spaces (`943 476 5919`): accepted and
 * normalised to the ten digits.
 */
export function normaliseNhsNumber(input: string): string | null {
  const digits = input.replace(/[\s-]/g, '');
  return /^[0-9]{10}$/.test(digits) && nhsCheckDigitValid(digits) ? digits : null;
}

export function nhsCheckDigitValid(digits: string): boolean {
  if (!/^[0-9]{10}$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(digits[i]) * (10 - i);
  const check = 11 - (sum % 11);
  if (check === 10) return false;
  return (check === 11 ? 0 : check) === Number(digits[9]);
}

/** `9434765919` as people read it: `943 476 5919`. */
export function formatNhsNumber(digits: string): string {
  return `${digits.slice(0, 3)} ${digits.slice(3, 6)} ${digits.slice(6)}`;
}

export const NHS_NUMBER_SYSTEM = 'https://fhir.nhs.uk/Id/nhs-number';
