// A header name: an RFC 9110 token.
export const headerToken = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// The characters node refuses in a header value: a CR or LF that would split it, other control characters,
// anything past latin1.
const unsafeValue = /[^\t\x20-\x7e\x80-\xff]/;

/** Whether node would send a header value as it is: the one rule for every header faultline writes. */
export function isSafeHeaderValue(value: string): boolean {
  return !unsafeValue.test(value);
}
