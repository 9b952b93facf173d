// JSON by its media type (RFC 8259 §11, RFC 6839 §3.1): `application/json`, or an `application/…+json`
// structured-syntax suffix, in any case. Parameters are the caller's to read.
const jsonType = /^application\/(?:[\w.+-]+\+)?json$/;

/**
 * Whether a `Content-Type` names JSON by its media type alone: `application/json` or `application/*+json`
 * (`application/problem+json`), parameters ignored. One rule for the server's readers and the client.
 */
export function isJsonMediaType(contentType: string | null | undefined): boolean {
  if (!contentType) return false;
  const end = contentType.indexOf(';');
  return jsonType.test((end === -1 ? contentType : contentType.slice(0, end)).trim().toLowerCase());
}
