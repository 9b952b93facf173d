// What the CLI writes to a terminal: a path, an option or a module's own error text may hold escapes a
// terminal would act on (a title change, a cleared screen, a reversed line). The rule is the docs
// renderers' too (`text/terminal.ts`).
import { terminalText } from '../text/terminal.js';

export { terminalText, terminalValue } from '../text/terminal.js';

/**
 * A value as the CLI prints JSON: what `JSON.stringify` leaves raw (C1 controls, bidirectional overrides)
 * is written as a `\uXXXX` escape too, which JSON reads back as the same string.
 */
export function terminalJson(value: unknown): string {
  return `${terminalText(JSON.stringify(value, null, 2))}\n`;
}
