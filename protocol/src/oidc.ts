/** An identity provider the sign-in screen offers (GET /api/auth/providers). */
export interface SignInProvider {
  id: string;
  /** As shown on the button: "Sign in with {name}". */
  name: string;
}

/**
 * Why a single sign-on ended without a session: the server redirects to `/?signInError={code}`.
 * Each text says what the person can do, never which claim values were sent.
 */
export const OIDC_SIGN_IN_ERRORS = {
  WL_OIDC_UNKNOWN_PROVIDER: 'That sign-in option is not available. Choose another.',
  WL_OIDC_PROVIDER_UNAVAILABLE: 'The identity provider cannot be reached. Try again in a few minutes.',
  WL_OIDC_BAD_STATE: 'The sign-in took too long or was started elsewhere. Sign in again.',
  WL_OIDC_IDP_ERROR: 'The identity provider did not sign you in. Sign in again.',
  WL_OIDC_INVALID_RESPONSE: 'The identity provider’s answer could not be verified. Sign in again.',
  WL_OIDC_UNKNOWN_ORGANISATION:
    'Your organisation does not use this Wardline service. Ask your administrator.',
  WL_OIDC_AMBIGUOUS_ORGANISATION:
    'You belong to more than one organisation using this service. Ask your administrator.',
  WL_OIDC_UNKNOWN_ROLE: 'Your role does not give access to Wardline. Ask your administrator.',
  WL_OIDC_ACCOUNT_DISABLED: 'Your Wardline account is disabled. Ask your administrator.',
  WL_OIDC_ACCOUNT_CONFLICT: 'Your account cannot be set up automatically. Ask your administrator.',
} as const;

export type OidcSignInError = keyof typeof OIDC_SIGN_IN_ERRORS;
