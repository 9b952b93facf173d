/**
 * Function code of a project: parsed when saved, checked before deployment, run in a `node:vm` context
 * with a time limit. Only what the page's codes need: parse errors, deployment errors, runtime errors.
 */
import { createContext, Script } from 'node:vm';

/** The syntax error of `code`, or `undefined` when it parses. */
export function parseError(code: string): string | undefined {
  try {
    new Script(code, { filename: 'function.js' });
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : 'unparseable';
  }
}

/** What stops `code` from deploying: it must define `main`, and may not reach for the process. */
export function deploymentProblems(code: string): string[] {
  const problems: string[] = [];
  if (!/\bfunction\s+main\s*\(/.test(code)) problems.push('no `function main(...)` is defined');
  for (const name of ['require', 'process', 'import('])
    if (code.includes(name)) problems.push(`\`${name}\` is not available to functions`);
  return problems;
}

/** Runs `main(input)` of `code` for at most `timeoutMs`; resolves its result or rejects with the failure. */
export function execute(code: string, input: unknown, timeoutMs = 100): unknown {
  const context = createContext({ input: JSON.parse(JSON.stringify(input ?? null)) });
  const script = new Script(`${code}\n;JSON.stringify(main(input) ?? null)`, { filename: 'function.js' });
  return JSON.parse(script.runInContext(context, { timeout: timeoutMs }) as string);
}
