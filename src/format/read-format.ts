import type { ReaderTable } from './field-readers.js';
import { parseNode } from './parse.js';
import type { ErrorFormat, ParsedError } from './types.js';

/** The reading half of a format: what a client needs to recognise and read its bodies (its name aside). */
export type FormatReader = Pick<ErrorFormat, 'spec' | 'parse' | 'match'>;

/**
 * How well a body fits a declaration, and what it holds: a body fits only if it holds a code,
 * a message or a title where the declaration puts them.
 */
export function readNode(
  spec: unknown,
  body: unknown,
  readers: ReaderTable,
): { score: number; parsed: ParsedError } {
  const parsed: ParsedError = {};
  const score = parseNode(spec, body, parsed, readers);
  return {
    score: score > 0 && (parsed.code ?? parsed.message ?? parsed.title) !== undefined ? score : 0,
    parsed,
  };
}

/** The `parse` and `match` of a format, from its declaration. */
export function readerOf(spec: unknown, readers: ReaderTable): Pick<ErrorFormat, 'parse' | 'match'> {
  return {
    parse(body: unknown) {
      const { score, parsed } = readNode(spec, body, readers);
      return score > 0 ? parsed : undefined;
    },
    match: (body: unknown) => readNode(spec, body, readers).score,
  };
}
