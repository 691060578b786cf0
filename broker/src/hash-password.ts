/**
 * Prints a users-file password hash.
 *   npm run hash-password -w @wardline/broker -- 'the password'
 *   printf '%s' 'the password' | npm run --silent hash-password -w @wardline/broker
 * Prefer stdin: an argument stays in the shell history and is visible in the process list.
 */
import { text } from 'node:stream/consumers';
import { hashPassword } from './password.js';

async function readPassword(): Promise<string> {
  const argument = process.argv[2];
  if (argument !== undefined) return argument;
  if (process.stdin.isTTY) {
    throw new Error('give the password as the only argument or on stdin');
  }
  // One trailing newline comes from echo or a here-string, not from the password.
  return (await text(process.stdin)).replace(/\r?\n$/, '');
}

readPassword()
  .then((password) => hashPassword(password))
  .then((hash) => process.stdout.write(`${hash}\n`))
  .catch((error: unknown) => {
    console.error(`hash-password: ${(error as Error).message}`);
    process.exit(1);
  });
