import { inputJsonSchema } from '../catalog/json-schema.js';
import { compileMessage } from '../catalog/message.js';
import { categories, categoryOf, retryableByDefault } from '../catalog/status.js';
import type { Catalog, CatalogEntry } from '../catalog/types.js';
import type { ErrorField } from '../format/fields.js';
import { problemJson } from '../format/problem-json.js';
import { fieldsOf } from '../format/spec.js';
import type { ErrorFormat } from '../format/types.js';

/**
 * The rules of `lintCatalog`, each with what it checks.
 * @example
 * for (const [rule, checks] of Object.entries(lintRules)) console.log(`${rule}: ${checks}`);
 */
export const lintRules = Object.freeze({
  naming: 'Every code follows the naming convention most codes of the catalog follow.',
  status: 'Codes answered with a 2xx status are flagged: clients that read only error statuses miss them.',
  category:
    'A category at odds with the status class (INTERNAL on a 404) is an error; another mismatch, a warning.',
  retryable: 'A retryable 4xx is flagged: the same request will fail again.',
  description: 'Every code has a description or a cause for the reference page.',
  placeholder:
    'A message placeholder names a required details field; an optional one may leave `{field}` in the text.',
  format:
    'The wire format carries what the catalog declares: ids, details and field errors are not silently dropped.',
  'ambiguous-message':
    'In a format without codes, no two codes share a message (clients map messages back to codes).',
} as const);

/** A rule of `lintCatalog`. */
export type LintRule = keyof typeof lintRules;

/** One finding of `lintCatalog`. */
export interface LintFinding {
  level: 'error' | 'warning';
  rule: LintRule;
  code: string;
  message: string;
}

/** Options of `lintCatalog`. */
export interface LintOptions {
  /**
   * Whether the standard codes are checked too.
   * @default false
   */
  includeStandard?: boolean;
  /**
   * The wire format the API answers in: what it carries is checked against what the catalog declares.
   * @default commonFormats.problemJson (RFC 9457)
   */
  format?: ErrorFormat;
}

const conventions: Record<string, RegExp> = {
  UPPER_SNAKE_CASE: /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/,
  PascalCase: /^[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)*$/,
  'kebab-case': /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/,
  'dotted.case': /^[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+$/,
};
const serverOnly = new Set<string>(['INTERNAL', 'EXTERNAL_SERVICE', 'UNAVAILABLE']);
const clientOnly = new Set<string>([
  'VALIDATION',
  'INVALID_REQUEST',
  'AUTH',
  'PAYMENT',
  'NOT_FOUND',
  'CONFLICT',
  'RATE_LIMIT',
]);

function conventionOf(code: string): string | undefined {
  return Object.entries(conventions).find(([, pattern]) => pattern.test(code))?.[0];
}

function optionalPlaceholder(entry: CatalogEntry): string | undefined {
  const placeholders = compileMessage(entry.message).placeholders;
  if (placeholders.length === 0) return undefined;
  // Only an introspectable schema can say what is optional; defineErrors already rejects unknown fields.
  const schema = inputJsonSchema(entry.details);
  if (!schema) return undefined;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  return placeholders.find((p) => !required.has(p.split('.')[0]!));
}

/** Where a format has no place for field errors, the code that answers validation failures loses them. */
function fieldErrorsFinding(
  catalog: Catalog<any>,
  carried: ReadonlySet<ErrorField>,
  format: ErrorFormat,
): LintFinding[] {
  if (carried.has('errors')) return [];
  // Every catalog holds the validationFailed role (it cannot be omitted), standard code or not.
  const code: string = catalog.builtins.validationFailed;
  return [
    {
      level: 'warning',
      rule: 'format',
      code,
      message: `answers validation failures with field errors, but the ${format.name} format carries no field errors: clients never see them`,
    },
  ];
}

/** What a format drops of what the catalog declares, and codes its clients cannot tell apart. */
function formatFindings(
  catalog: Catalog<any>,
  entries: readonly CatalogEntry[],
  format: ErrorFormat,
): LintFinding[] {
  const carried = new Set(fieldsOf(format.spec).map((p) => p.field));
  const findings: LintFinding[] = [];
  const declared: Partial<Record<ErrorField, (e: CatalogEntry) => boolean>> = {
    id: (e) => e.id !== undefined,
    // Members carry details to every format: a code whose members are written keeps them.
    details: (e) => e.details !== undefined && e.members === undefined,
  };
  for (const [field, declares] of Object.entries(declared) as [ErrorField, (e: CatalogEntry) => boolean][]) {
    if (carried.has(field)) continue;
    const holders = entries.filter(declares);
    if (holders.length === 0) continue;
    findings.push({
      level: 'warning',
      rule: 'format',
      code: holders[0]!.code,
      message: `declares ${field}${holders.length > 1 ? ` (as do ${holders.length - 1} more codes)` : ''}, but the ${format.name} format carries no ${field}: clients never see it`,
    });
  }
  findings.push(...fieldErrorsFinding(catalog, carried, format));
  for (const e of entries) {
    for (const name of Object.keys(e.members ?? {})) {
      if (!Object.hasOwn(format.spec, name)) continue;
      findings.push({
        level: 'warning',
        rule: 'format',
        code: e.code,
        message: `adds the member ${name}, which the ${format.name} format writes itself: the format's own is sent, never the member`,
      });
    }
  }
  if (carried.has('code')) return findings;
  const byMessage = new Map<string, string>();
  for (const e of entries) {
    const other = byMessage.get(e.message);
    if (other === undefined) byMessage.set(e.message, e.code);
    else
      findings.push({
        level: 'error',
        rule: 'ambiguous-message',
        code: e.code,
        message: `shares its message with ${other}, and the ${format.name} format carries no code: clients cannot tell them apart`,
      });
  }
  return findings;
}

/**
 * Checks a catalog for what a reviewer would flag (each finding names its rule): inconsistent naming, a
 * category at odds with the status, `retryable` on a 4xx, missing descriptions, placeholders over optional
 * details, and what the wire format drops. Errors fail `faultline lint`; warnings are reported. Duplicate ids, unknown
 * placeholders and reused retired codes are not here: `defineErrors` rejects them.
 * @example
 * for (const f of lintCatalog(errors, { format: commonFormats.flat })) console.log(`${f.level} ${f.code} [${f.rule}] ${f.message}`);
 */
export function lintCatalog(catalog: Catalog<any>, options: LintOptions = {}): LintFinding[] {
  const findings: LintFinding[] = [];
  const entries = catalog.codes
    .map((code) => catalog.entries[code] as CatalogEntry)
    .filter((e) => options.includeStandard || e.group !== 'http');
  const counts = new Map<string, number>();
  for (const e of entries) {
    const convention = conventionOf(e.code) ?? 'none';
    counts.set(convention, (counts.get(convention) ?? 0) + 1);
  }
  const dominant = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
  for (const e of entries) {
    const convention = conventionOf(e.code);
    if (dominant && dominant !== 'none' && convention !== dominant) {
      findings.push({
        level: 'warning',
        rule: 'naming',
        code: e.code,
        message: `is not ${dominant} like most codes`,
      });
    }
    if (e.status < 300) {
      findings.push({
        level: 'warning',
        rule: 'status',
        code: e.code,
        message: `answered with HTTP ${e.status}: clients that only read error statuses will miss it`,
      });
    }
    const derived = categoryOf(e.status);
    if (e.category !== derived && e.category in categories) {
      const wrongClass =
        (e.status < 500 && serverOnly.has(e.category)) || (e.status >= 500 && clientOnly.has(e.category));
      findings.push({
        level: wrongClass ? 'error' : 'warning',
        rule: 'category',
        code: e.code,
        message: `category ${e.category} on HTTP ${e.status} (expected ${derived})`,
      });
    }
    if (e.retryable && e.status < 500 && !retryableByDefault(e.status) && e.role !== 'idempotencyInFlight') {
      findings.push({
        level: 'warning',
        rule: 'retryable',
        code: e.code,
        message: `retryable on HTTP ${e.status}: the same request will fail again`,
      });
    }
    if (e.description === undefined && e.cause === undefined) {
      findings.push({
        level: 'warning',
        rule: 'description',
        code: e.code,
        message: 'has no description or cause',
      });
    }
    const placeholder = optionalPlaceholder(e);
    if (placeholder !== undefined) {
      findings.push({
        level: 'warning',
        rule: 'placeholder',
        code: e.code,
        message: `message uses {${placeholder}}, an optional details field: without it the text shows {${placeholder}}`,
      });
    }
  }
  findings.push(...formatFindings(catalog, entries, options.format ?? problemJson));
  return findings;
}
