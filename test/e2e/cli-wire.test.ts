import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/spawn.js';

// `faultline snapshot` + `faultline diff` as a CI job runs them, over the wire format the module exports.

const root = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'faultline-cli-wire-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const url = (path: string) => JSON.stringify(pathToFileURL(path).href);
const zod = join(dirname(createRequire(import.meta.url).resolve('zod/package.json')), 'index.js');

/** A catalog module in the README's envelope; each release below changes one thing of it. */
function release(name: string, change: { orderId?: string; docsUrl?: string; format?: string } = {}) {
  const file = join(work, `${name}.mjs`);
  writeFileSync(
    file,
    `import { defineErrors } from ${url(join(root, 'dist/index.js'))};
     import { envelope, field } from ${url(join(root, 'dist/format/index.js'))};
     import * as z from ${url(zod)};
     export const errors = defineErrors(
       { ORDER_EXISTS: { status: 409, message: 'Order exists', description: 'd', details: z.object({ orderId: ${change.orderId ?? 'z.string()'} }) } },
       { docsUrl: ${JSON.stringify(change.docsUrl ?? 'https://docs.example.com/errors#{code}')} },
     );
     export const format = envelope(${change.format ?? '{ success: false, code: field.code, error: field.message, details: field.details }'});`,
  );
  return file;
}

const cli = runCli;

describe('faultline diff over the wire format', () => {
  const lock = join(work, 'errors.lock.json');
  beforeAll(() => {
    expect(cli('snapshot', release('v1'), '--out', lock).code).toBe(0);
  });

  it('fails on a renamed or dropped member of the format', () => {
    expect(cli('diff', lock, release('v1')).stdout).toBe('0 breaking, 0 additive, 0 cosmetic\n');
    const renamed = cli(
      'diff',
      lock,
      release('v2', { format: '{ success: false, error_code: field.code, error: field.message }' }),
    );
    expect(renamed.code).toBe(1);
    expect(renamed.stdout).toContain('breaking *: format member /code renamed to /error_code\n');
    expect(renamed.stdout).toContain('breaking *: format member /details (details) removed\n');
  });

  it('fails on a details field whose type changed', () => {
    const retyped = cli('diff', lock, release('v3', { orderId: 'z.number()' }));
    expect(retyped.code).toBe(1);
    expect(retyped.stdout).toContain('breaking ORDER_EXISTS: details.orderId type string → number\n');
  });

  it('passes a docs URL change where the format writes no type', () => {
    const moved = cli('diff', lock, release('v4', { docsUrl: 'https://docs.example.org/e#{code}' }));
    expect(moved.code).toBe(0);
    expect(moved.stdout).toMatch(/^0 breaking, 0 additive, \d+ cosmetic\n$/m);
  });

  it('diffs a lock written before the format was recorded without false alarms', () => {
    const old = JSON.parse(readFileSync(lock, 'utf8'));
    delete old.format;
    delete old.codes.ORDER_EXISTS.details.types;
    const written = join(work, 'old.lock.json');
    writeFileSync(written, JSON.stringify(old));
    expect(cli('diff', written, release('v1')).stdout).toBe('0 breaking, 0 additive, 0 cosmetic\n');
  });

  it('locks the format --envelope names, and refuses to pick one of two by chance', () => {
    const refused = cli('snapshot', 'test/fixtures/two-formats.ts');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('choose one with --envelope');
    const rest = cli('snapshot', 'test/fixtures/two-formats.ts', '--envelope', 'rest');
    expect(JSON.parse(rest.stdout).format.members).toEqual({
      '/error/code': ['code'],
      '/error/message': ['message'],
    });
  });

  it('lints the README envelope: the validation code would drop its field errors', () => {
    const { stdout } = cli('lint', release('v1'));
    expect(stdout).toContain(
      'warning VALIDATION_FAILED [format] answers validation failures with field errors, but the envelope format carries no field errors: clients never see them\n',
    );
  });
});
