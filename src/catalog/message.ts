const placeholderPattern = /\{([A-Za-z_$][\w$]*(?:\.[\w$]+)*)\}/g;

/** A message template compiled once: its placeholders and a renderer over details. */
export interface MessageTemplate {
  readonly text: string;
  readonly placeholders: readonly string[];
  render(details: unknown): string;
}

function lookup(details: unknown, path: string): unknown {
  let value: unknown = details;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function display(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return undefined;
}

/** Compiles `Session {sessionId} not found` into a renderer; a missing value leaves its placeholder as written. */
export function compileMessage(text: string): MessageTemplate {
  const placeholders = [...text.matchAll(placeholderPattern)].map((match) => match[1]!);
  if (placeholders.length === 0) return { text, placeholders, render: () => text };
  return {
    text,
    placeholders,
    render(details) {
      return text.replace(placeholderPattern, (whole, path: string) => {
        try {
          return display(lookup(details, path)) ?? whole;
        } catch {
          return whole;
        }
      });
    },
  };
}
