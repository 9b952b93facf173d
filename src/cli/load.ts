import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createJiti } from 'jiti';
import type { Catalog } from '../catalog/types.js';
import type { ErrorFormat } from '../format/types.js';
import { CliError } from './errors.js';

/** True for a catalog made by `defineErrors` (from any copy of faultline). */
export function isCatalog(value: unknown): value is Catalog<any> {
  const v = value as Partial<Catalog<any>> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    Array.isArray(v.codes) &&
    typeof v.create === 'function' &&
    typeof v.entries === 'object'
  );
}

function isFormat(value: unknown): value is ErrorFormat {
  const v = value as Partial<ErrorFormat> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.serialize === 'function' &&
    typeof v.parse === 'function' &&
    typeof v.contentType === 'string'
  );
}

/** What a catalog module holds: its catalog and its wire format (the one it exports, or the one named). */
export interface Loaded {
  catalog: Catalog<any>;
  format: ErrorFormat | undefined;
}

/**
 * Loads a catalog from a TypeScript or JavaScript module (jiti compiles TypeScript on the fly): the
 * export named `exportName`, or the module's only catalog export; with it the wire format named
 * `envelopeName`, or the module's only format export (none: problem+json; `false`: not read). Several of
 * either, and none named, is an error: a page rendered in a format picked by chance documents the wrong wire.
 */
export async function loadCatalog(
  file: string,
  exportName?: string,
  envelopeName?: string | false,
): Promise<Loaded> {
  const path = resolve(file);
  if (!existsSync(path)) throw new CliError(`${file}: no such file`);
  let module: Record<string, unknown>;
  try {
    const jiti = createJiti(import.meta.url, { interopDefault: true, moduleCache: false });
    module = (await jiti.import(path)) as Record<string, unknown>;
  } catch (error) {
    const text = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new CliError(`${file}: ${text}`);
  }
  // `false`: a command that writes no wire format (snapshot, diff) reads none.
  const format = envelopeName === false ? undefined : formatOf(file, module, envelopeName);
  if (exportName !== undefined) {
    const value = module[exportName];
    if (!isCatalog(value))
      throw new CliError(`${file}: export "${exportName}" is not a catalog made by defineErrors`);
    return { catalog: value, format };
  }
  const catalogs = Object.entries(module).filter(([, value]) => isCatalog(value));
  const unique = new Set(catalogs.map(([, value]) => value));
  if (unique.size === 0) throw new CliError(`${file}: the module exports no catalog made by defineErrors`);
  if (unique.size > 1) {
    throw new CliError(
      `${file}: the module exports several catalogs (${catalogs.map(([name]) => name).join(', ')}); choose one with --export`,
    );
  }
  return { catalog: catalogs[0]![1] as Catalog<any>, format };
}

function formatOf(
  file: string,
  module: Record<string, unknown>,
  envelopeName: string | undefined,
): ErrorFormat | undefined {
  if (envelopeName !== undefined) {
    const value = module[envelopeName];
    if (!isFormat(value))
      throw new CliError(`${file}: export "${envelopeName}" is not an error format (envelope() or a format)`);
    return value;
  }
  const formats = Object.entries(module).filter(([, value]) => isFormat(value));
  const unique = new Set(formats.map(([, value]) => value));
  if (unique.size > 1) {
    throw new CliError(
      `${file}: the module exports several error formats (${formats.map(([name]) => name).join(', ')}); choose one with --envelope`,
    );
  }
  return formats[0]?.[1] as ErrorFormat | undefined;
}
