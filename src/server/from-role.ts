import type { ApiError } from '../catalog/api-error.js';
import { FaultlineConfigError } from '../catalog/config-error.js';
import type { RoleError } from '../catalog/role-error.js';
import type { Catalog, CreateOptions } from '../catalog/types.js';

// Per catalog, the answer built for each prebuilt descriptor (a guard's per-policy template): a denial under
// attack then costs one small object, whatever the catalog renames or documents.
const prebuilt = new WeakMap<Catalog<any>, WeakMap<RoleError, ApiError>>();

function build(
  catalog: Catalog<any>,
  raised: RoleError,
  headers: Readonly<Record<string, string>> | undefined,
) {
  const options: CreateOptions = {
    headers,
    message: raised.custom ? raised.message : undefined,
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

/**
 * The answering catalog's error for a mechanism's role descriptor: the entry that claims the role (or the
 * code the mechanism was told to raise), its message rendered over the descriptor's details, the
 * descriptor's headers over the entry's.
 */
export function fromRole(catalog: Catalog<any>, raised: RoleError): ApiError {
  const template = Object.getPrototypeOf(raised) as RoleError;
  if (!Object.hasOwn(raised, 'role') && Object.hasOwn(template, 'role')) {
    // A denial of a prebuilt descriptor: one answer per catalog and template, this denial's headers on top.
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
    const error = Object.create(answer) as {
      headers: Readonly<Record<string, string>>;
      correlationId: undefined;
    };
    const own = answer.headers;
    const headers = raised.headers ?? {};
    error.headers = Object.keys(own).length === 0 ? headers : { ...own, ...headers };
    error.correlationId = undefined;
    return error as unknown as ApiError;
  }
  return build(catalog, raised, raised.headers);
}
