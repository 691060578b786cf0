import Type, { type Static } from 'typebox';
import { SessionUser } from './api.js';
import { AccountLinkResponse, Organisation } from './organisation.js';

/**
 * Accounts: one-time links to set a password, TOTP second factor, and what a sign-in led to.
 * Tokens travel in request bodies, never in URLs, so that they stay out of logs.
 */

/** none: no second factor; totp: signed in with one; enrol-required: may only enrol a second factor. */
export const SecondFactorState = Type.Union([
  Type.Literal('none'),
  Type.Literal('totp'),
  Type.Literal('enrol-required'),
]);
export type SecondFactorState = Static<typeof SecondFactorState>;

export const AccountTokenRequest = Type.Object(
  { token: Type.String({ minLength: 16, maxLength: 128 }) },
  { additionalProperties: false },
);
export type AccountTokenRequest = Static<typeof AccountTokenRequest>;

/** What the set-password page shows: whose account a link is for, while the link is valid. */
export const AccountTokenInfo = Type.Union([
  Type.Object({
    valid: Type.Literal(true),
    purpose: Type.Union([Type.Literal('invite'), Type.Literal('reset')]),
    username: Type.String(),
    displayName: Type.String(),
    organisationName: Type.Union([Type.String(), Type.Null()]),
    expiresAt: Type.String(),
  }),
  Type.Object({ valid: Type.Literal(false) }),
]);
export type AccountTokenInfo = Static<typeof AccountTokenInfo>;

/**
 * The password is set. Signed in (token) unless the account has a second factor: then the user
 * signs in with password and code as usual.
 */
export const SetPasswordResponse = Type.Object({
  user: SessionUser,
  token: Type.Optional(Type.String()),
  secondFactor: Type.Optional(SecondFactorState),
});
export type SetPasswordResponse = Static<typeof SetPasswordResponse>;

/** Put into an authenticator app (the URI as a QR code, or the secret typed in). */
export const TotpEnrolment = Type.Object({ uri: Type.String(), secret: Type.String() });
export type TotpEnrolment = Static<typeof TotpEnrolment>;

export const TotpCodeRequest = Type.Object(
  { code: Type.String({ pattern: '^[0-9]{6}$' }) },
  { additionalProperties: false },
);
export type TotpCodeRequest = Static<typeof TotpCodeRequest>;

export const CreateOrganisationResponse = Type.Object({
  organisation: Organisation,
  admin: AccountLinkResponse,
});
export type CreateOrganisationResponse = Static<typeof CreateOrganisationResponse>;
