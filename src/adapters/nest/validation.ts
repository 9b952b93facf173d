/** One field error as the core reads Standard Schema issues: a message and the path of the field. */
export interface NestIssue {
  readonly message: string;
  readonly path: readonly (string | number)[];
}

/** The shape of a class-validator `ValidationError`, as `ValidationPipe` hands it to `exceptionFactory`. */
export interface ClassValidatorError {
  readonly property: string;
  readonly constraints?: Readonly<Record<string, string>> | undefined;
  readonly children?: readonly ClassValidatorError[] | undefined;
}

// At most this many issues are kept: a huge invalid array must not become a huge error (the core caps
// the answer at 100 field errors too).
const maxIssues = 100;
// Nested deeper than this, the remaining children are not walked: the path would not help anyone.
const maxDepth = 32;

/**
 * A validation failure the core answers as the catalog's validation code, with one field error per
 * issue (`errors` in RFC 9457): it carries `issues` as Standard Schema does.
 */
export class NestValidationError extends Error {
  readonly issues: readonly NestIssue[];
  constructor(issues: readonly NestIssue[], cause?: unknown) {
    super('Validation failed', cause === undefined ? undefined : { cause });
    this.name = 'NestValidationError';
    this.issues = issues;
  }
}

// class-validator's default messages start with the property path (`address.city must be a string`),
// or name it after a fixed phrase (`each value in tags …`, `property x should not exist`).
const named = /^(?:each value in |(?:nested )?property )?([A-Za-z_$][\w$]*(?:\.[\w$]+)*)(?= )/;

function pathOf(message: string): (string | number)[] {
  const match = named.exec(message);
  if (!match) return [];
  return match[1]!.split('.').map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
}

/**
 * The issues of a `ValidationPipe` 400 whose response `message` is its list of class-validator
 * messages; `undefined` when `message` is not a non-empty list of strings.
 */
export function issuesOfMessages(messages: unknown): NestIssue[] | undefined {
  if (!Array.isArray(messages) || messages.length === 0) return undefined;
  const issues: NestIssue[] = [];
  for (const message of messages.slice(0, maxIssues)) {
    if (typeof message !== 'string') return undefined;
    issues.push({ message, path: pathOf(message) });
  }
  return issues;
}

function walk(
  errors: readonly ClassValidatorError[],
  parent: readonly (string | number)[],
  issues: NestIssue[],
  depth: number,
): void {
  for (const error of errors) {
    if (issues.length >= maxIssues || depth > maxDepth) return;
    const property = typeof error.property === 'string' ? error.property : '';
    const path = [...parent, /^\d+$/.test(property) ? Number(property) : property];
    for (const message of Object.values(error.constraints ?? {})) {
      if (issues.length >= maxIssues) return;
      if (typeof message === 'string') issues.push({ message, path });
    }
    if (Array.isArray(error.children)) walk(error.children, path, issues, depth + 1);
  }
}

/**
 * The `exceptionFactory` of Nest's `ValidationPipe`: class-validator errors, nested ones included,
 * become the catalog's validation error with one field error per failed constraint, each with the
 * JSON Pointer of its field (`/address/city`, `/items/0/name`).
 * @example
 * app.useGlobalPipes(new ValidationPipe({ exceptionFactory: validationExceptionFactory }));
 */
export function validationExceptionFactory(errors: readonly ClassValidatorError[]): NestValidationError {
  const issues: NestIssue[] = [];
  walk(Array.isArray(errors) ? errors : [], [], issues, 0);
  if (issues.length === 0) issues.push({ message: 'is invalid', path: [] });
  return new NestValidationError(issues);
}
