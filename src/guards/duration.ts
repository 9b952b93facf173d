import { invalidOption } from '../catalog/config-error.js';
import type { Duration } from './types.js';

const units = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const pattern = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** A duration in milliseconds; throws the invalid-option error naming `what` for anything not positive. */
export function toMs(value: Duration, what: string): number {
  let ms = Number.NaN;
  if (typeof value === 'number') ms = value;
  else {
    const match = pattern.exec(value);
    if (match) ms = Number(match[1]) * units[match[2] as keyof typeof units];
  }
  if (!(Number.isFinite(ms) && ms > 0))
    throw invalidOption(`${what} must be a positive duration, got ${String(value)}`);
  return ms;
}

/** A positive integer option, or the invalid-option error naming it. */
export function toCount(value: number, what: string): number {
  if (!(Number.isSafeInteger(value) && value > 0))
    throw invalidOption(`${what} must be a positive integer, got ${String(value)}`);
  return value;
}
