import { type BuiltinRole, type StandardCode, standardDefinitions } from './standard.js';

/**
 * Where a wire format puts the body members that built-in prose names, as dotted paths (`error.details`);
 * a member the format does not carry is absent, and the prose then leaves it unsaid.
 */
export interface ProsePaths {
  /** Where the field errors are written. */
  readonly errors?: string | undefined;
  /** Where the details are written. */
  readonly details?: string | undefined;
}

/** Where problem+json puts them: the wording of the standard catalog. */
export const problemJsonPaths: ProsePaths = Object.freeze({ errors: 'errors', details: 'details' });

type Prose = (paths: ProsePaths) => string;

// The built-ins whose standard text names a body member, worded for any format; the others name only
// headers (`Allow`, `Retry-After`), which every format answers with. A test holds the problem+json
// wording to the standard table.
const named: Partial<Record<BuiltinRole, { readonly description: Prose; readonly fix: Prose }>> = {
  validationFailed: {
    description: (p) =>
      `The body, query or parameters do not match the schema${p.errors ? `; \`${p.errors}\` lists each field` : ''}.`,
    fix: (p) =>
      p.errors
        ? `Correct each field listed in \`${p.errors}\` and send the request again.`
        : 'Correct the request to match the endpoint reference and send it again.',
  },
  missingHeader: {
    description: (p) =>
      `The request lacks a header this endpoint requires${p.details ? `; \`${p.details}.header\` names it` : ''}.`,
    fix: (p) =>
      p.details
        ? `Send the header named in \`${p.details}.header\`.`
        : 'Send every header this endpoint requires.',
  },
  invalidHeader: {
    description: (p) =>
      `A header does not match the format this endpoint requires${p.details ? `; \`${p.details}.header\` names it` : ''}.`,
    fix: (p) =>
      p.details
        ? `Correct the value of the header named in \`${p.details}.header\`.`
        : 'Correct the header values to the formats this endpoint documents.',
  },
};

const byRole = new Map<BuiltinRole, { description: string; fix: string }>(
  (Object.values(standardDefinitions) as { role: BuiltinRole; description: string; fix: string }[]).map(
    (d) => [d.role, d],
  ),
);

/** The standard code of a built-in role. */
export function standardCodeOf(role: BuiltinRole): StandardCode {
  return (Object.keys(standardDefinitions) as StandardCode[]).find(
    (code) => standardDefinitions[code].role === role,
  )!;
}

/** True for a role faultline words the description and fix of (the HTTP ones). */
export function hasBuiltinProse(role: BuiltinRole): boolean {
  return named[role] !== undefined || byRole.has(role);
}

const counts = ['', 'one', 'two', 'three', 'four', 'five', 'six'];

/**
 * The description and fix faultline gives a code that answers for `roles`, worded for a format that puts
 * its members at `paths`. A code that answers for several roles says so and describes each.
 * @example
 * builtinProse(['validationFailed'], {}).description; // 'The body, query or parameters do not match the schema.'
 */
export function builtinProse(
  roles: readonly BuiltinRole[],
  paths: ProsePaths,
): { description: string; fix: string } {
  const texts = roles.map((role) => {
    const own = named[role];
    const standard = byRole.get(role)!;
    return own ? { description: own.description(paths), fix: own.fix(paths) } : standard;
  });
  if (texts.length === 1) return texts[0]!;
  const count = counts[texts.length] ?? String(texts.length);
  return {
    description: `Raised by ${count} built-in checks. ${texts.map((t) => t.description).join(' ')}`,
    fix: [...new Set(texts.map((t) => t.fix))].join(' '),
  };
}
