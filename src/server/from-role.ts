import type { ApiError } from '../catalog/api-error.js';
import { FaultlineConfigError } from '../catalog/config-error.js';
import type { RoleError } from '../catalog/role-error.js';
import { standardDefinitions } from '../catalog/standard.js';
import { membersOf } from '../catalog/to-api-error.js';
import type { Catalog, CatalogEntry, CreateOptions } from '../catalog/types.js';

// Per catalog, the answer built once for each constructed descriptor (a role's shared one, a guard's
// per-policy denial): every descriptor over it is answered by one small object over that answer, with only
// its own facts, so a denial or a 404 under attack costs no Error constructor, whatever the catalog renames
// or documents.
const prebuilt = new WeakMap<Catalog<any>, WeakMap<RoleError, ApiError>>();

// The standard message of each role: a mechanism's specific text refines only that one.
const standardMessages = new Map<string, string>(
  Object.values(standardDefinitions).map((definition) => [definition.role, definition.message]),
);

/** The message a descriptor answers with, over its entry's: the API's own, or a refinement of the standard one. */
function ownMessage(raised: RoleError, entry: CatalogEntry | undefined): string | undefined {
  if (raised.custom) return raised.message;
  if (raised.specific && entry?.message === standardMessages.get(raised.role)) return raised.message;
  return undefined;
}

function build(
  catalog: Catalog<any>,
  raised: RoleError,
  headers: Readonly<Record<string, string>> | undefined,
) {
  const entry = catalog.get(raised.code ?? catalog.builtins[raised.role]);
  const options: CreateOptions = {
    headers,
    message: ownMessage(raised, entry),
    fieldErrors: raised.fieldErrors,
    cause: raised.cause,
  };
  if (raised.code === undefined) return catalog.builtin(raised.role, raised.details, options);
  if (catalog.get(raised.code) === undefined) {
    throw new FaultlineConfigError(
      'FAULTLINE_UNKNOWN_CODE',
      `${raised.code}, raised by a ${raised.role} mechanism, is not in the answering catalog`,
    );
  }
  return (catalog.create as (code: string, details: unknown, options: CreateOptions) => ApiError)(
    raised.code,
    raised.details,
    options,
  );
}

function answerOf(catalog: Catalog<any>, template: RoleError): ApiError {
  let answers = prebuilt.get(catalog);
  if (answers === undefined) {
    answers = new WeakMap();
    prebuilt.set(catalog, answers);
  }
  let answer = answers.get(template);
  if (answer === undefined) {
    answer = build(catalog, template, undefined);
    answers.set(template, answer);
  }
  return answer;
}

type Own = { -readonly [K in keyof ApiError]?: ApiError[K] } & { cause?: unknown };

// What a descriptor holds of its own over its template, laid over the template's answer; a collapsed code
// answers alike whatever the facts (only its cause, kept on the server, differs).
function overlay(answer: ApiError, entry: CatalogEntry | undefined, raised: RoleError): ApiError {
  const error = Object.create(answer) as Own;
  const own = answer.headers;
  const headers = raised.headers ?? {};
  error.headers = Object.keys(own).length === 0 ? headers : { ...own, ...headers };
  error.correlationId = undefined;
  if (Object.hasOwn(raised, 'cause')) error.cause = raised.cause;
  if (entry === undefined || entry.collapses !== undefined) return error as ApiError;
  if (Object.hasOwn(raised, 'details')) {
    error.details = raised.details;
    error.message = entry.template.render(raised.details);
    if (entry.members !== undefined) error.members = membersOf(entry.members, raised.details);
  }
  if (Object.hasOwn(raised, 'message')) {
    const message = ownMessage(raised, entry);
    if (message !== undefined) error.message = message;
  }
  if (Object.hasOwn(raised, 'fieldErrors')) error.fieldErrors = raised.fieldErrors;
  return error as ApiError;
}

/**
 * The answering catalog's error for a mechanism's role descriptor: the entry that claims the role (or the
 * code the mechanism was told to raise), its message rendered over the descriptor's details, the
 * descriptor's headers over the entry's.
 */
export function fromRole(catalog: Catalog<any>, raised: RoleError): ApiError {
  // A descriptor built over a constructed one (`roleError`, `withHeaders`) is answered over its answer.
  if (!Object.hasOwn(raised, 'role')) {
    const template = Object.getPrototypeOf(raised) as RoleError;
    if (Object.hasOwn(template, 'role')) {
      const answer = answerOf(catalog, template);
      return overlay(answer, catalog.get(answer.code), raised);
    }
  }
  return build(catalog, raised, raised.headers);
}
