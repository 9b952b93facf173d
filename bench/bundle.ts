import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '..');

/**
 * Bundles a benchmark's servers module into `bench/.built/<name>.mjs`, to run as users deploy a server:
 * compiled JavaScript on plain node, importing faultline's built dist/ (`npm run build` first) and each
 * framework from node_modules. Not through tsx, whose loader and kept function names would cost every
 * server's per-request closures alike. Returns the bundle's path.
 */
export async function bundleServers(entry: string, name: string): Promise<string> {
  const outfile = join(root, 'bench/.built', `${name}.mjs`);
  await build({
    entryPoints: [join(root, entry)],
    outfile,
    bundle: true,
    packages: 'external',
    // No paths to src/: `faultline/*` stays an import of the package, resolved by node to dist/.
    tsconfig: join(root, 'bench/tsconfig.dist.json'),
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // The examples bundled in start their own server only when run as the main module: here they never are.
    define: { 'import.meta.url': JSON.stringify('bench:servers') },
    logLevel: 'error',
  });
  return outfile;
}
