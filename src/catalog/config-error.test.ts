import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { FaultlineConfigError } from 'faultline';
import { describe, expect, it } from 'vitest';
import { configErrors } from './config-error.js';

const page = readFileSync(resolve(import.meta.dirname, '../../docs/config-errors.md'), 'utf8');

describe('faultline configuration errors', () => {
  it('documents every code on docs/config-errors.md with its fix, and nothing else', () => {
    const documented = [...page.matchAll(/^## (FAULTLINE_[A-Z_]+)$/gm)].map((m) => m[1]);
    expect(documented).toEqual(Object.keys(configErrors));
    for (const [code, entry] of Object.entries(configErrors)) {
      const section = page.slice(page.indexOf(`## ${code}\n`)).split('\n## ')[0]!;
      expect(section, code).toContain(entry.message);
      expect(section, code).toContain(`Fix: ${entry.fix}`);
    }
  });

  it('gives each error a code, a one-line fix and a docs URL anchored at its code', () => {
    const error = new FaultlineConfigError('FAULTLINE_DUPLICATE_ID', 'A and B both have id 1');
    expect(error.message).toContain('A and B both have id 1');
    expect(error.fix).not.toContain('\n');
    expect(error.docsUrl).toMatch(/config-errors\.md#faultline_duplicate_id$/);
  });

  it('says an invalid option in its own line alone, keeping the generic fix on the error and the page', () => {
    const error = new FaultlineConfigError(
      'FAULTLINE_INVALID_OPTION',
      "quota per must be 'day' or 'month', got 'week'",
    );
    expect(error.message).toBe("FAULTLINE_INVALID_OPTION: quota per must be 'day' or 'month', got 'week'");
    expect(error.fix).toBe(configErrors.FAULTLINE_INVALID_OPTION.fix);
    expect(error.docsUrl).toMatch(/#faultline_invalid_option$/);
  });
});
