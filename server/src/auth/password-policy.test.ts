import { describe, expect, it } from 'vitest';
import { MIN_PASSWORD_LENGTH, passwordProblem } from './password-policy.js';

describe('passwords as NCSC advises', () => {
  it('takes long passphrases with any characters, and asks nothing about their composition', () => {
    for (const good of [
      'correct horse battery staple',
      'kettle umbrella giraffe',
      'alllowercasebutlong',
      'Ünïcödé pässwörd ✓ ok',
      'x'.repeat(3) + 'yz' + 'w'.repeat(100) + 'v',
      'a b c d e f g h i j',
    ])
      expect(passwordProblem(good), good).toBeNull();
    expect(passwordProblem('m'.repeat(200) + 'nopq')).toBeNull();
  });

  it(`refuses fewer than ${MIN_PASSWORD_LENGTH} characters, counting characters not bytes`, () => {
    expect(passwordProblem('Tr0ub4dor&3')).toMatch(/at least 12 characters/);
    expect(passwordProblem('ééééééééééé')).toMatch(/at least 12/);
    expect(passwordProblem('x'.repeat(257))).toMatch(/at most 256/);
  });

  it('refuses the most common passwords, also dressed up with digits and symbols', () => {
    for (const common of [
      'passwordpassword',
      'letmeinletmein',
      'Password2024!',
      '!!superman1234',
      '123456789987654321',
      'abcabcabcabc',
    ])
      expect(passwordProblem(common), common).toMatch(/commonly used|repeats too few/);
    expect(passwordProblem('aaaaaaaaaaaaaaaa')).toMatch(/repeats too few/);
  });

  it('refuses passwords made of the user name, the organisation or Wardline', () => {
    expect(passwordProblem('wardline2026!!', [])).toMatch(/too close/);
    expect(passwordProblem('jsmith-jsmith-1', ['jsmith'])).toMatch(/too close/);
    expect(passwordProblem('Riverside Care 2026', ['nurse1', 'Riverside Care Homes'])).toMatch(/too close/);
    // A context word inside a real passphrase is fine.
    expect(passwordProblem('riverside otter lantern', ['Riverside Care Homes'])).toBeNull();
  });
});
