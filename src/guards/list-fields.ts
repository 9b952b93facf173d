/**
 * The guards' fields that are lists (draft-ietf-httpapi-ratelimit-headers, RFC 9651): a second chain of
 * guards on one request adds its policies to the first's instead of replacing them.
 */
export const listValued: ReadonlySet<string> = new Set(['ratelimit', 'ratelimit-policy']);
