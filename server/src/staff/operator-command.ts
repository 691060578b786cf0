import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { createUserRepository } from '../auth/user-repository.js';
import type { SqlDatabase } from '../db/engines/engine.js';
import { openSqlDatabase } from '../db/engines/open.js';
import { createAccountTokens } from './account-tokens.js';
import { accountsConfigFromEnv } from './accounts-config.js';
import { linkFor } from './account-service.js';

const USAGE = `Usage: npm run operator -- invite --email <address> --name "<display name>" [--username <name>]
       npm run operator -- reset --username <name>

Creates a server operator (who creates organisations and invites their first admins, and sees no
clinical record), or issues an existing operator a new one-time link, and prints the link. Reads
WARDLINE_DATABASE_URL (a postgres:// URL) or else WARDLINE_DB_PATH (default .wardline/server/wardline.db),
and WARDLINE_PUBLIC_URL (the link's base).`;

export interface OperatorLink {
  username: string;
  link: string;
  expiresAt: string;
}

/** Invites an operator: a pending account and a one-time link to set its password. */
export async function inviteOperator(
  sql: SqlDatabase,
  options: {
    email: string;
    displayName: string;
    username?: string;
    publicUrl: string;
    env?: NodeJS.ProcessEnv;
  },
): Promise<OperatorLink> {
  const users = createUserRepository(sql);
  const tokens = createAccountTokens(sql, accountsConfigFromEnv(options.env ?? process.env).tokens);
  const username = options.username ?? (await users.freeUsername(options.email.split('@')[0] ?? 'operator'));
  const created = await users.createAccount({
    username,
    role: 'operator',
    displayName: options.displayName,
    email: options.email,
    organisationId: null,
    createdBy: 'operator-cli',
  });
  if (!created) throw new Error(`an account named ${username} or with this e-mail address exists already`);
  const { token, expiresAt } = await tokens.issue(username, 'invite', 'operator-cli');
  return { username, link: linkFor(options.publicUrl, token), expiresAt };
}

/** A new one-time link for an existing operator (a lost password); the old password stops working. */
export async function resetOperator(
  sql: SqlDatabase,
  options: { username: string; publicUrl: string; env?: NodeJS.ProcessEnv },
): Promise<OperatorLink> {
  const users = createUserRepository(sql);
  const user = await users.find(options.username);
  if (!user || user.role !== 'operator') throw new Error(`there is no operator named ${options.username}`);
  await users.clearPassword(user.username);
  await users.endUserSessions(user.username);
  const tokens = createAccountTokens(sql, accountsConfigFromEnv(options.env ?? process.env).tokens);
  const { token, expiresAt } = await tokens.issue(user.username, 'reset', 'operator-cli');
  return { username: user.username, link: linkFor(options.publicUrl, token), expiresAt };
}

/** `npm run operator -- ...`: returns the exit code. */
export async function operatorCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [command, ...rest] = argv;
  let values: { email?: string; name?: string; username?: string };
  try {
    ({ values } = parseArgs({
      args: rest,
      options: { email: { type: 'string' }, name: { type: 'string' }, username: { type: 'string' } },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const publicUrl = env.WARDLINE_PUBLIC_URL ?? `http://127.0.0.1:${env.PORT ?? '8080'}`;
  const location =
    env.WARDLINE_DATABASE_URL || resolve(env.WARDLINE_DB_PATH ?? '.wardline/server/wardline.db');
  /** Issues a link in the database and prints it: 0, or 1 with the reason when it cannot. */
  const issue = async (link: (sql: SqlDatabase) => Promise<OperatorLink>): Promise<number> => {
    const sql = await openSqlDatabase(location);
    try {
      print(await link(sql));
      return 0;
    } catch (error) {
      console.error((error as Error).message);
      return 1;
    } finally {
      await sql.close();
    }
  };
  if (command === 'invite' && values.email && values.name) {
    const { email, name, username } = values;
    return issue((sql) =>
      inviteOperator(sql, {
        email,
        displayName: name,
        ...(username ? { username } : {}),
        publicUrl,
        env,
      }),
    );
  }
  if (command === 'reset' && values.username) {
    const { username } = values;
    return issue((sql) => resetOperator(sql, { username, publicUrl, env }));
  }
  console.error(USAGE);
  return 2;
}

function print({ username, link, expiresAt }: OperatorLink) {
  // The link is printed once, to the terminal of whoever runs the server; it is stored only hashed.
  process.stdout.write(
    `Operator: ${username}\nOpen this link once to set the password (valid until ${expiresAt}):\n\n  ${link}\n\n`,
  );
}
