/** Categories faultline derives from an HTTP status when an entry names none. */
export const categories = {
  VALIDATION: 'The request body, query or parameters failed validation.',
  INVALID_REQUEST: 'The request is malformed or not acceptable as sent.',
  AUTH: 'Authentication or authorization failed.',
  PAYMENT: 'A plan, subscription or payment is required.',
  NOT_FOUND: 'The requested resource does not exist.',
  CONFLICT: 'The request conflicts with the current state of the resource.',
  RATE_LIMIT: 'A rate limit or quota was exceeded.',
  TIMEOUT: 'The request or an upstream call timed out.',
  EXTERNAL_SERVICE: 'An upstream or third-party service failed.',
  UNAVAILABLE: 'The service is temporarily unavailable.',
  INTERNAL: 'An unexpected server error.',
  NOTICE:
    'A non-error outcome answered with a 2xx status that clients may branch on (e.g. an idempotent no-op).',
} as const;

/** One of the categories faultline derives; catalogs may use any other string too. */
export type Category = keyof typeof categories;

/** Reason phrases of RFC 9110 for the statuses an error can carry. */
export const statusText: Readonly<Record<number, string>> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  208: 'Already Reported',
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  411: 'Length Required',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  417: 'Expectation Failed',
  421: 'Misdirected Request',
  422: 'Unprocessable Content',
  423: 'Locked',
  424: 'Failed Dependency',
  425: 'Too Early',
  426: 'Upgrade Required',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  451: 'Unavailable For Legal Reasons',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
  507: 'Insufficient Storage',
  508: 'Loop Detected',
  511: 'Network Authentication Required',
};

// Reason phrases of earlier RFCs that libraries still send as an error's default message (http-errors, Boom,
// node's STATUS_CODES): RFC 7231 and RFC 2616 names of statuses RFC 9110 renamed, 418 of RFC 2324, and the
// short name of Nest's `MisdirectedException`.
const formerText: Readonly<Record<number, readonly string[]>> = {
  408: ['request time-out'],
  413: ['payload too large', 'request entity too large'],
  414: ['request-uri too long', 'request-uri too large'],
  416: ['requested range not satisfiable'],
  418: ["i'm a teapot"],
  421: ['misdirected'],
  422: ['unprocessable entity'],
  504: ['gateway time-out'],
};

/**
 * Whether `message` is only the name of `status`, as a library writes it when it was given no message of its
 * own: http-errors' and Boom's reason phrase (the RFC 9110 one or an earlier RFC's, in any case), or
 * Nest's `Not Found Exception` and `Http Exception`. Such a message says nothing the catalog's own does not.
 */
export function isStatusName(status: number, message: string): boolean {
  const name = message.toLowerCase().replace(/ exception$/, '');
  if (name === 'http' || formerText[status]?.includes(name)) return true;
  const own = statusText[status];
  // A status with no name of its own: http-errors writes its class's name, Boom `Unknown`.
  if (own === undefined)
    return name === 'unknown' || name === (status < 500 ? 'bad request' : 'internal server error');
  return name === own.toLowerCase();
}

/** True for an integer status an error response may carry (400–599). */
export function isErrorStatus(status: unknown): status is number {
  return isCatalogStatus(status) && status >= 400;
}

/**
 * True for a status a catalog entry may carry: an error status, or a 2xx for an outcome code that some APIs
 * answer with a success status (an idempotent "already done").
 */
export function isCatalogStatus(status: unknown): status is number {
  // Number.isInteger is false for anything but a number.
  return (
    Number.isInteger(status) &&
    (status as number) >= 200 &&
    (status as number) <= 599 &&
    ((status as number) < 300 || (status as number) >= 400)
  );
}

/** The reason phrase of a status, or a generic one for its class. */
export function reasonPhrase(status: number): string {
  return statusText[status] ?? (status >= 500 ? 'Server Error' : status < 300 ? 'Success' : 'Client Error');
}

// The statuses of each derived category but the catch-alls (NOTICE, INTERNAL, INVALID_REQUEST): a table is
// smaller than a switch in a browser bundle.
const categoryOfStatus: Readonly<Record<number, Category>> = {
  400: 'VALIDATION',
  422: 'VALIDATION',
  401: 'AUTH',
  403: 'AUTH',
  407: 'AUTH',
  511: 'AUTH',
  402: 'PAYMENT',
  404: 'NOT_FOUND',
  410: 'NOT_FOUND',
  409: 'CONFLICT',
  412: 'CONFLICT',
  423: 'CONFLICT',
  428: 'CONFLICT',
  429: 'RATE_LIMIT',
  408: 'TIMEOUT',
  504: 'TIMEOUT',
  502: 'EXTERNAL_SERVICE',
  503: 'UNAVAILABLE',
};

/** The category an error of this status belongs to when its entry names none. */
export function categoryOf(status: number): Category {
  if (status < 300) return 'NOTICE';
  return categoryOfStatus[status] ?? (status >= 500 ? 'INTERNAL' : 'INVALID_REQUEST');
}

/** Whether a client may retry an error of this status when its entry does not say: 408, 429 and 5xx but 501. */
export function retryableByDefault(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status !== 501);
}

/**
 * Whether an answer of this status has no content (RFC 9110 §15.3.5, §15.3.6, §15.4.5): a body sent with
 * it would be read as the start of the next answer, and a Web `Response` refuses one.
 */
export function hasNoContent(status: number): boolean {
  return status === 204 || status === 205 || status === 304;
}
