/**
 * The on-behalf-of exchange failed in a way the user or an administrator can act on; the message
 * says what to do and never carries a token. Its own module: tools render it without knowing how
 * tokens are exchanged.
 */
export class OboError extends Error {
  override name = 'OboError';
  constructor(
    message: string,
    readonly kind: 'consent_required' | 'reauthenticate' | 'user_not_found' | 'misconfigured' | 'unavailable',
    readonly aadsts?: number,
  ) {
    super(message);
  }
}
