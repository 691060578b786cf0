import { SESSION_COOKIE, type SecondFactorState } from '@wardline/protocol';
import type { FastifyReply } from 'fastify';
import type { UserRepository } from './user-repository.js';

/**
 * Starts a session for a user already identified and sets its cookie; returns the session token.
 * Every way of signing in (password, single sign-on) goes through here, so the cookie's attributes
 * cannot drift apart between them.
 */
export async function startSessionCookie(
  reply: FastifyReply,
  users: UserRepository,
  username: string,
  { secure, secondFactor = 'none' }: { secure: boolean; secondFactor?: SecondFactorState },
): Promise<string> {
  const token = await users.createSession(username, new Date(), secondFactor);
  reply.setCookie(SESSION_COOKIE, token, {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure,
    maxAge: Math.floor(users.sessionPolicy.maxMs / 1000),
  });
  return token;
}

/** Ends the browser's copy of the session cookie (the session itself is ended separately). */
export function clearSessionCookie(reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { path: '/' });
}
