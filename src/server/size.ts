import { FaultlineConfigError } from '../catalog/config-error.js';

const units: Readonly<Record<string, number>> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/** Bytes from a number or a size such as `'64kb'` or `'1mb'` (1024-based, as body-parser reads them). */
export function parseSize(size: number | string): number {
  if (typeof size === 'number' && Number.isSafeInteger(size) && size >= 0) return size;
  const match = typeof size === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$/i.exec(size) : null;
  if (!match)
    throw new FaultlineConfigError(
      'FAULTLINE_INVALID_OPTION',
      `body option limit is ${JSON.stringify(size) ?? String(size)}; it takes a whole number of bytes or a size such as '64kb' or '1mb' (default '1mb')`,
    );
  return Math.floor(Number(match[1]) * units[(match[2] ?? 'b').toLowerCase()]!);
}
