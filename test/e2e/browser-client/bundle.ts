import { builtinModules } from 'node:module';
import { resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Plugin } from 'esbuild';

const root = resolve(import.meta.dirname, '../../..');
const nodeBuiltins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

/** A browser bundle of an ES module's source, minified, with its gzip size and the Node built-ins it reached. */
export async function bundleSource(source: string) {
  const builtins: string[] = [];
  const refuseBuiltins: Plugin = {
    name: 'refuse-node-builtins',
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        if (!nodeBuiltins.has(args.path)) return undefined;
        builtins.push(`${args.path} (from ${args.importer.replace(`${root}/`, '')})`);
        return { path: args.path, external: true };
      });
    },
  };
  const result = await build({
    stdin: { contents: source, resolveDir: root, loader: 'ts' },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: true,
    write: false,
    metafile: true,
    conditions: ['faultline-source'],
    plugins: [refuseBuiltins],
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]!.contents;
  const [output] = Object.values(result.metafile.outputs);
  return {
    builtins,
    /** The modules with code in the bundle (those tree-shaken away are left out). */
    inputs: Object.entries(output!.inputs)
      .filter(([, input]) => input.bytesInOutput > 0)
      .map(([path]) => path),
    gzip: gzipSync(code, { level: 9 }).byteLength,
  };
}
