/**
 * The token of an `Authorization: Bearer <token>` header, or undefined when the header is absent or of
 * another form. The scheme is matched in any case, as HTTP's authentication schemes are (RFC 9110
 * §11.1): `bearer` and `BEARER` are the same scheme. One or more spaces may follow it.
 */
export function bearerToken(header: string | undefined): string | undefined {
  return header === undefined ? undefined : /^bearer +(\S+)$/i.exec(header)?.[1];
}
