/** Zoom's Server-to-Server OAuth (reference §6.2): the token endpoint and what it grants. */

/** The path of the token endpoint, on `https://zoom.us`. */
export const OAUTH_TOKEN_PATH = '/oauth/token';

/** The only grant a Server-to-Server app uses. */
export const ACCOUNT_CREDENTIALS_GRANT = 'account_credentials';

/** Access-token lifetime Zoom states in `expires_in`, seconds; also assumed when an answer omits it. */
export const OAUTH_TOKEN_TTL_SEC = 3600;
