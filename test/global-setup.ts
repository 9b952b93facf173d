import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

/** Builds once before the suite: the CLI and the packed-tarball tests run the built package, as users do. */
export default function setup(): void {
  execFileSync('npm', ['run', 'build', '--silent'], {
    cwd: resolve(import.meta.dirname, '..'),
    stdio: 'inherit',
  });
}
