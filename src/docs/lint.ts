import { compileMessage } from '../catalog/message.js';
import { categories, categoryOf, retryableByDefault } from '../catalog/status.js';
import type { Catalog, CatalogEntry } from '../catalog/types.js';

/** One finding of `lintCatalog`. */
export interface LintFinding {
  level: 'error' | 'warning';
  rule: 'naming' | 'duplicate-id' | 'status' | 'category' | 'retryable' | 'description' | 'placeholder';
  code: string;
  message: string;
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

/**
 * Checks a catalog for what a reviewer would flag: inconsistent naming, duplicate ids, a category at odds
 * with the status, `retryable` on a 4xx, missing descriptions, placeholders without a details field.
 * Errors fail `faultline lint`; warnings are reported.
 */
export function lintCatalog(
  catalog: Catalog<any>,
  options: { includeStandard?: boolean } = {},
): LintFinding[] {
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
  const ids = new Map<number, string>();
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
    if (e.id !== undefined) {
      const other = ids.get(e.id);
      if (other)
        findings.push({
          level: 'error',
          rule: 'duplicate-id',
          code: e.code,
          message: `shares id ${e.id} with ${other}`,
        });
      else ids.set(e.id, e.code);
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
    if (compileMessage(e.message).placeholders.length > 0 && !e.details) {
      findings.push({
        level: 'error',
        rule: 'placeholder',
        code: e.code,
        message: 'message has placeholders but no details schema',
      });
    }
  }
  return findings;
}
