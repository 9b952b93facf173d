import { FaultlineConfigError } from '../catalog/config-error.js';
import type { CatalogEntry } from '../catalog/types.js';

/**
 * The catalog error a guard raises instead of its role's code: the catalog's entry
 * (`errors.entries.PLAN_RATE_LIMITED`, checked when the guard is created) or its code (checked when the
 * handler answers: a catalog without it answers its 500 and logs a configuration error).
 */
export type GuardError = string | CatalogEntry;

const codeShape = /^[A-Za-z][A-Za-z0-9_.-]{0,127}$/;

/**
 * The code of a guard's `error` option, checked: an entry's status must be an error one, and its message
 * may name only details the guard gives (`fields`), since a placeholder with no value would render empty.
 */
export function errorCodeOf(
  options: { readonly error?: GuardError | undefined },
  guard: string,
  fields: readonly string[],
): string | undefined {
  const option = options.error;
  if (option === undefined) {
    // `error: errors.get('PLAN_RATE_LIMITD')` is a typo, not a wish for the built-in code.
    if (Object.hasOwn(options, 'error')) {
      throw new FaultlineConfigError(
        'FAULTLINE_INVALID_OPTION',
        `${guard} error is undefined: the catalog has no entry of that name`,
      );
    }
    return undefined;
  }
  if (typeof option === 'string') {
    if (codeShape.test(option)) return option;
  } else if (typeof option === 'object' && option !== null && typeof option.code === 'string') {
    if (!(option.status >= 400 && option.status <= 599)) {
      throw new FaultlineConfigError(
        'FAULTLINE_INVALID_OPTION',
        `${guard} error ${option.code} has status ${option.status}; a denial needs a 4xx or 5xx code`,
      );
    }
    const missing = option.template.placeholders.filter((name) => !fields.includes(name.split('.')[0]!));
    if (missing.length > 0) {
      throw new FaultlineConfigError(
        'FAULTLINE_INVALID_OPTION',
        `${guard} error ${option.code} names {${missing.join('}, {')}} in its message; ${guard} gives ${
          fields.length === 0 ? 'no details' : fields.join(', ')
        }`,
      );
    }
    return option.code;
  }
  throw new FaultlineConfigError(
    'FAULTLINE_INVALID_OPTION',
    `${guard} error must be a catalog entry or a code, got ${String(option)}`,
  );
}
