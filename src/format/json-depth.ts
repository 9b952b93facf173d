/** How deep a server's reader lets a request body nest by default (`maxDepth`), and so how deep a client reads an error. */
export const defaultMaxDepth = 256;

/**
 * Whether a JSON text nests arrays and objects more than `maxDepth` levels deep, read without parsing it:
 * brackets inside strings do not count. A text shorter than `maxDepth` cannot, and is not scanned. Used
 * before `JSON.parse`, whose result would be too deep to walk, serialize or log without exhausting the stack.
 */
export function nestsDeeperThan(text: string, maxDepth: number): boolean {
  if (text.length <= maxDepth) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) {
      inString = true;
    } else if (c === 91 || c === 123) {
      if (++depth > maxDepth) return true;
    } else if (c === 93 || c === 125) {
      depth--;
    }
  }
  return false;
}
