import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

/**
 * Builds once before the tiers that need `dist/`: the CLI and packed-tarball tests run the built package,
 * as users do, and so do the seed and demo processes the tests start. Several tiers name this setup; the
 * first builds and the rest of the same run reuse it.
 */
export default function setup(): void {
  if (process.env.FAULTLINE_TEST_BUILT === '1') return;
  execFileSync('npm', ['run', 'build', '--silent'], {
    cwd: resolve(import.meta.dirname, '..'),
    stdio: 'inherit',
  });
  process.env.FAULTLINE_TEST_BUILT = '1';
}
