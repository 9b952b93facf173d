// What the CLI writes to a terminal: a path, an option or a module's own error text may hold escapes a
// terminal would act on (a title change, a cleared screen, a reversed line). This module imports nothing,
// so that `--help` stays as light as it is (the docs renderers have their own copy of the rule).

// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters a terminal acts on
const controls = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

const written = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** Text for a terminal: each control character and bidirectional override written as `\uXXXX`. */
export function visible(text: string): string {
  return text.replace(controls, written);
}

/** One line for a terminal: line breaks and tabs too are written out. */
export function terminalLine(text: string): string {
  return visible(text).replace(/[\t\n\r\u2028\u2029]/g, written);
}

/**
 * A value as the CLI prints JSON: what `JSON.stringify` leaves raw (C1 controls, bidirectional overrides)
 * is written as a `\uXXXX` escape too, which JSON reads back as the same string.
 */
export function terminalJson(value: unknown): string {
  return `${visible(JSON.stringify(value, null, 2))}\n`;
}
