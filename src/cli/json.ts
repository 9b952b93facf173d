import type { LintFinding } from '../docs/lint.js';
import type { Change, SnapshotDiff } from '../docs/snapshot.js';

/**
 * What `faultline lint --json` prints: one JSON document on stdout. The shape is stable within
 * `faultline: 1`; members may be added, none removed or renamed. The exit code is the same as without
 * `--json` (1 when `errors` > 0).
 * @example
 * { "faultline": 1, "codes": 3, "errors": 1, "warnings": 0,
 *   "findings": [{ "level": "error", "code": "ROOM_FULL", "rule": "category", "message": "…" }] }
 */
export interface LintReport {
  faultline: 1;
  /** How many codes were checked. */
  codes: number;
  errors: number;
  warnings: number;
  /** In the order of the text report: per code in catalog order, then what the format drops. */
  findings: Pick<LintFinding, 'level' | 'code' | 'rule' | 'message'>[];
}

/**
 * What `faultline diff --json` prints: one JSON document on stdout, the changes sorted by kind. The shape
 * is stable within `faultline: 1`; members may be added, none removed or renamed. The exit code is the same
 * as without `--json` (1 when `breaking` is not empty, unless `--allow-breaking`).
 * @example
 * { "faultline": 1, "breaking": [{ "code": "ROOM_FULL", "change": "code removed" }],
 *   "additive": [], "cosmetic": [] }
 */
export interface DiffReport {
  faultline: 1;
  breaking: Pick<Change, 'code' | 'change'>[];
  additive: Pick<Change, 'code' | 'change'>[];
  cosmetic: Pick<Change, 'code' | 'change'>[];
}

/** The `--json` document of `faultline lint`. */
export function lintReport(findings: readonly LintFinding[], codes: number): LintReport {
  const errors = findings.filter((f) => f.level === 'error').length;
  return {
    faultline: 1,
    codes,
    errors,
    warnings: findings.length - errors,
    findings: findings.map(({ level, code, rule, message }) => ({ level, code, rule, message })),
  };
}

/** The `--json` document of `faultline diff`. */
export function diffReport(diff: SnapshotDiff): DiffReport {
  const pick = (changes: Change[]) => changes.map(({ code, change }) => ({ code, change }));
  return {
    faultline: 1,
    breaking: pick(diff.breaking),
    additive: pick(diff.additive),
    cosmetic: pick(diff.cosmetic),
  };
}
