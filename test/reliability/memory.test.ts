/**
 * Memory: 1 000 000 errors of every kind through an error handler, in a child process run with
 * `--expose-gc`; the heap after GC at the end stays within 2 MiB of the heap after GC once warmed up
 * (a leak of two bytes per error would break it).
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const bound = 2 * 1024 * 1024;

describe('error handler memory', () => {
  it('answers 1 000 000 errors with the heap after GC growing less than 2 MiB', {
    timeout: 180_000,
  }, async () => {
    const { stdout } = await run(
      process.execPath,
      [
        '--expose-gc',
        '--conditions=faultline-source',
        '--import',
        'tsx',
        'test/reliability/fixtures/memory-worker.ts',
        '1000000',
      ],
      { cwd: root, timeout: 170_000, maxBuffer: 1024 * 1024 },
    );
    const result = JSON.parse(stdout) as { count: number; growth: number; reported: number };
    console.log(
      `error handler memory: ${result.count} errors, heap growth after GC ${result.growth} bytes (bound ${bound})`,
    );
    expect(result.count).toBe(1_000_000);
    expect(result.reported).toBe(1_000_000);
    expect(result.growth).toBeLessThan(bound);
  });
});
