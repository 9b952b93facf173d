/**
 * Where faultline's own misconfiguration errors are documented; each code is an anchor there. The page
 * also ships in the package: `node_modules/faultline/docs/config-errors.md`.
 */
export const configDocsBase = 'https://github.com/faultline-js/faultline/blob/main/docs/config-errors.md';

/** faultline's own misconfiguration errors: raised while a catalog, format or server is set up, never on the wire. */
export const configErrors = {
  FAULTLINE_INVALID_CODE: {
    message: 'Error codes must be non-empty strings without whitespace or control characters.',
    fix: 'Name the code with letters, digits, `_`, `-`, `.` or `:`; UPPER_SNAKE_CASE is the convention.',
  },
  FAULTLINE_INVALID_STATUS: {
    message: 'A status must be an integer from 400 to 599, or a 2xx for an outcome code.',
    fix: 'Give the entry the status the API answers with: 4xx or 5xx for errors, 2xx only for a non-error outcome.',
  },
  FAULTLINE_INVALID_MESSAGE: {
    message: 'An entry needs a non-empty `message`.',
    fix: 'Write the human-readable text the API sends for this code.',
  },
  FAULTLINE_DUPLICATE_ID: {
    message: 'Two codes share one numeric id.',
    fix: 'Give each code its own id; ids are part of the contract and are never reused.',
  },
  FAULTLINE_INVALID_ID: {
    message: 'A numeric id must be a non-negative safe integer.',
    fix: 'Use a whole number such as 3001, or omit `id`.',
  },
  FAULTLINE_UNKNOWN_GROUP: {
    message: 'An entry names a group the catalog does not declare.',
    fix: 'Add the group to the `groups` option of defineErrors, or correct the entry.',
  },
  FAULTLINE_PLACEHOLDER_WITHOUT_FIELD: {
    message: 'A message placeholder names no field of the entry details.',
    fix: 'Add a `details` schema with that field, or remove `{field}` from the message.',
  },
  FAULTLINE_RETIRED_CODE: {
    message: 'A retired code or id was reused.',
    fix: 'Choose a new code or id: clients may still branch on the retired one.',
  },
  FAULTLINE_UNKNOWN_ROLE: {
    message:
      'An entry claims a role that is no mechanism of faultline; the message names the entry and the role.',
    fix: 'Claim roles by their names in the README role table (`rateLimited`, `messageMalformed`, …), as a list.',
  },
  FAULTLINE_INVALID_RENAME: {
    message:
      'A rename names a code the standard catalog does not have, gives an invalid name, or gives one name to built-in codes of different statuses; the message names the codes, their roles and statuses.',
    fix: 'Rename only the standard codes (those of `defineErrors({})`); give one name to several of them only when they answer with the same status.',
  },
  FAULTLINE_INVALID_OMIT: {
    message:
      'An omitted code is not a standard code, is renamed or defined by the catalog, or is one the server core raises for every API.',
    fix: 'Omit only standard codes of mechanisms the API does not use (guards, statuses it never sends); the core codes (bad request, validation, malformed JSON, not found, 405, 408, 413, 415, internal) stay, unless an entry of the API claims their role (`roles`) and answers for it.',
  },
  FAULTLINE_INVALID_MEMBERS: {
    message:
      "An entry's `members` must name fields of its details schema, each under a distinct non-empty member name.",
    fix: "Give the entry a `details` schema and list its fields: `members: ['room_id']`, or `{ roomId: 'room_id' }` to name a member apart from its field.",
  },
  FAULTLINE_UNKNOWN_CODE: {
    message: 'The code is not in the catalog.',
    fix: 'Add the code to the catalog, or check its spelling.',
  },
  FAULTLINE_INVALID_COLLAPSE: {
    message:
      'A collapsed code must list distinct non-empty reasons and take no details or message placeholders.',
    fix: 'Declare `collapses: [...reasons]` on an entry without `details`, and pass `{ reason }` from that list when creating it.',
  },
  FAULTLINE_INVALID_FORMAT: {
    message: 'An envelope declaration is invalid.',
    fix: 'Declare the envelope as an object whose leaves are literals or `field.*` references.',
  },
  FAULTLINE_INVALID_CLOSE_CODE: {
    message: 'A WebSocket close code cannot be sent in a close frame.',
    fix: 'Use 1000–1003, 1007–1014 or 3000–4999 (4000 + status for API codes); list observed-only codes (1005, 1006, 1015, below 1000) in `closeCodes`.',
  },
  FAULTLINE_BODY_NOT_PARSED: {
    message:
      'A guard that fingerprints the body (idempotency) ran where the request announces a body that no parser has read yet.',
    fix: 'Run the guard after the body parser: on Fastify as a `preHandler` hook, not `onRequest`. Before the parser, the Express and Koa guards read a JSON body themselves and refuse a keyed body of any other type 415: put them after the parser of such types.',
  },
  FAULTLINE_INVALID_OPTION: {
    message:
      'An option has a value faultline cannot use; the message names the option, its value and the range it takes.',
    fix: 'Give the option a value of its documented type and range: the message names the option, the value given and what it takes. Counts and durations are whole numbers (a size may be written `64kb`, a period `1m`); a timer takes at most 2147483647 ms.',
  },
} as const;

/** A code of faultline's own misconfiguration errors. */
export type ConfigErrorCode = keyof typeof configErrors;

/** Thrown at set-up time when a catalog, format or option is wrong; names the culprit and a one-line fix. */
export class FaultlineConfigError extends Error {
  override readonly name = 'FaultlineConfigError';
  /** The stable code of the misconfiguration. */
  readonly code: ConfigErrorCode;
  /** One line saying how to fix it. */
  readonly fix: string;
  /** Where the code is documented. */
  readonly docsUrl: string;

  constructor(code: ConfigErrorCode, subject: string) {
    const entry = configErrors[code];
    // An invalid option's subject already names the option, its value and what it takes: the generic text
    // after it would bury that line (it stays in `fix` and on the page `docsUrl` names).
    super(
      code === 'FAULTLINE_INVALID_OPTION'
        ? `${code}: ${subject}`
        : `${code}: ${subject} — ${entry.message} Fix: ${entry.fix}`,
    );
    this.code = code;
    this.fix = entry.fix;
    this.docsUrl = `${configDocsBase}#${code.toLowerCase()}`;
  }
}

/**
 * The configuration error of an option faultline cannot use (`FAULTLINE_INVALID_OPTION`), thrown where the
 * guard, store or endpoint is made, or where a guard's state method (`rateLimit.get`, `reset`) is given an
 * argument it cannot use: `subject` names the option, its value and what it takes.
 * @example
 * throw invalidOption(`quota per must be 'day' or 'month', got ${String(per)}`);
 */
export function invalidOption(subject: string): FaultlineConfigError {
  return new FaultlineConfigError('FAULTLINE_INVALID_OPTION', subject);
}
