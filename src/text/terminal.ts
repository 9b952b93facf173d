// The characters a terminal acts on, and how faultline writes them out: one rule for the CLI and the docs
// renderers. This module imports nothing, so that the CLI's `--help` stays as light as it is.

// C0 and C1 controls and DEL; tab and line breaks are the caller's to handle.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters a terminal acts on
const controls = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;

// Bidirectional embeddings, overrides and isolates: kept in pages (a translator's right-to-left text may
// need them), written out on a terminal, where they could make a line read other than it is written.
const bidi = /[\u202a-\u202e\u2066-\u2069]/g;
// Tab and every line break, for a value that must show on one terminal line as it is.
const layout = /[\t\n\r\u2028\u2029]/g;

const written = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** The text with each control character written as `\uXXXX`, so that a terminal shows it and acts on none. */
export function visible(text: string): string {
  return text.replace(controls, written);
}

/** Text for a terminal: as `visible`, and the bidirectional controls written out too. */
export function terminalText(text: string): string {
  return visible(text).replace(bidi, written);
}

/** A value (a path, a code, an error message) on one terminal line as it is: breaks and tabs written out. */
export function terminalValue(text: string): string {
  return terminalText(text).replace(layout, written);
}
