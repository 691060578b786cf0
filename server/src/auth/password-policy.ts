import { dictionary } from '@zxcvbn-ts/language-common';

/**
 * Passwords as the NCSC advises: length over complexity, no composition rules, a deny list of
 * common passwords, every character allowed (spaces too) and long passphrases welcome.
 *
 * 12 characters at least: above NCSC's floor of 8 because most accounts here have no second
 * factor and reach clinical records (NIST SP 800-63B-4 asks 15 for a password alone), yet three
 * random words, NCSC's own advice, pass easily.
 */
export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;

// About 49,000 of the most common passwords from leaked lists, as zxcvbn-ts ships and maintains them.
const COMMON = new Set(dictionary['passwords-common'] as string[]);

const normalise = (text: string) => text.normalize('NFKC').toLowerCase();
/** Letters only, so "Password2024!" and "p a s s w o r d" come down to "password". */
const lettersOf = (text: string) => normalise(text).replace(/[^\p{L}]/gu, '');

/** The shortest unit a password repeats ("letmeinletmein" → "letmein"), or the password itself. */
function repeatedUnit(text: string): string {
  for (let size = 1; size <= text.length / 2; size++)
    if (text.length % size === 0 && text.slice(0, size).repeat(text.length / size) === text)
      return text.slice(0, size);
  return text;
}

function isCommon(password: string): boolean {
  const plain = normalise(password);
  if (COMMON.has(plain) || COMMON.has(plain.replace(/\s+/g, ''))) return true;
  const unit = repeatedUnit(plain);
  if (unit !== plain && (unit.length < 6 || COMMON.has(unit))) return true;
  // A common password dressed up with digits and symbols around it: "Welcome123!", "!!qwerty2025".
  const core = plain.replace(/^[^\p{L}]+|[^\p{L}]+$/gu, '');
  return core.length > 0 && COMMON.has(core);
}

/**
 * Why a password may not be used, in words for the person choosing it; null when it may.
 * `context`: words an attacker would try first (user name, name, e-mail, organisation).
 */
export function passwordProblem(
  password: string,
  context: (string | null | undefined)[] = [],
): string | null {
  const length = [...password.normalize('NFC')].length;
  if (length < MIN_PASSWORD_LENGTH)
    return `Use at least ${MIN_PASSWORD_LENGTH} characters: three random words make a strong password that is easy to remember`;
  if (length > MAX_PASSWORD_LENGTH) return `Use at most ${MAX_PASSWORD_LENGTH} characters`;
  if (new Set(normalise(password)).size < 4)
    return 'This password repeats too few characters: choose another';
  if (isCommon(password)) return 'This is one of the most commonly used passwords: choose another';
  const words = ['wardline', ...context]
    .flatMap((word) => (word ? normalise(word).split(/[^\p{L}\p{N}]+/u) : []))
    .map((word) => word.replace(/[^\p{L}]/gu, ''))
    .filter((word) => word.length >= 3);
  let rest = lettersOf(password);
  for (const word of words) rest = rest.split(word).join('');
  if (rest.length < lettersOf(password).length && (rest.length < 6 || COMMON.has(rest)))
    return 'This password is too close to your name, user name or organisation: choose another';
  return null;
}
