/**
 * Function code of a project, read with a JavaScript parser (acorn) and never run in this process:
 * `node:vm` is not a sandbox (`this.constructor.constructor('return process')()` escapes it), so syntax
 * errors, the entry point and what keeps code from deploying all come from the parse. Running a
 * function is the job of an isolated runner service (see `runner.ts`).
 */
import { type Node, type Program, parse } from 'acorn';

/** The entry point a function must declare at its top level. */
export const entryPointName = 'main';

/** A parameter of the entry point: its name (or the pattern's kind) and whether a caller must pass it. */
export interface Parameter {
  readonly name: string;
  readonly required: boolean;
}

/** What the parse of a function says: its syntax error, or its entry point when it declares one. */
export type Parsed =
  | { readonly ok: false; readonly error: string }
  | { readonly ok: true; readonly program: Program; readonly entryPoint: readonly Parameter[] | undefined };

/** Parses `code` as a script of the newest ECMAScript; a parse never evaluates anything. */
export function parseFunction(code: string): Parsed {
  let program: Program;
  try {
    program = parse(code, { ecmaVersion: 'latest', sourceType: 'script' });
  } catch (error) {
    // acorn raises SyntaxError with "(line:column)"; a stack overflow on absurd nesting is a parse failure too.
    return { ok: false, error: error instanceof SyntaxError ? error.message : 'the source nests too deeply' };
  }
  return { ok: true, program, entryPoint: entryPointOf(program) };
}

/** The parameters of a top-level `function main(…)` or `const main = (…) => …`, if there is one. */
function entryPointOf(program: Program): Parameter[] | undefined {
  for (const statement of program.body) {
    if (statement.type === 'FunctionDeclaration' && statement.id.name === entryPointName)
      return statement.params.map(parameterOf);
    if (statement.type === 'VariableDeclaration')
      for (const declarator of statement.declarations) {
        const init = declarator.init;
        if (
          declarator.id.type === 'Identifier' &&
          declarator.id.name === entryPointName &&
          (init?.type === 'FunctionExpression' || init?.type === 'ArrowFunctionExpression')
        )
          return init.params.map(parameterOf);
      }
  }
  return undefined;
}

function parameterOf(pattern: Node, index: number): Parameter {
  const p = pattern as Node & {
    name?: string;
    left?: Node & { name?: string };
    argument?: { name?: string };
  };
  if (p.type === 'Identifier') return { name: p.name!, required: true };
  if (p.type === 'AssignmentPattern')
    return { name: p.left?.type === 'Identifier' ? p.left.name! : `#${index}`, required: false };
  if (p.type === 'RestElement') return { name: `...${p.argument?.name ?? index}`, required: false };
  return { name: `#${index}`, required: true };
}

// Names the function runtime does not provide; a reference to one fails on the runner, so it fails here.
const unavailable = new Set(['require', 'process', 'module', 'exports']);

/** What stops a parsed function from deploying: a syntax error, no `main`, or reaching for the host process. */
export function parsedProblems(parsed: Parsed): string[] {
  if (!parsed.ok) return [parsed.error];
  const problems: string[] = [];
  if (parsed.entryPoint === undefined)
    problems.push(`no top-level \`${entryPointName}\` function is declared`);
  for (const name of hostReferences(parsed.program))
    problems.push(`\`${name}\` is not available to functions`);
  return problems;
}

/**
 * The host names a program refers to (free `require`, `process`, …, and `import()` / `import.meta`), by
 * an iterative walk so that deep nesting cannot overflow the stack. Property names (`a.process`,
 * `{ process: 1 }`) are not references.
 */
function hostReferences(program: Program): string[] {
  const found = new Set<string>();
  const skip = new WeakSet<object>();
  const stack: unknown[] = [program];
  while (stack.length > 0) {
    const node = stack.pop();
    if (typeof node !== 'object' || node === null || skip.has(node)) continue;
    if (Array.isArray(node)) {
      for (const item of node) stack.push(item);
      continue;
    }
    const n = node as Node & Record<string, unknown>;
    if (n.type === 'Identifier' && unavailable.has(n.name as string)) found.add(n.name as string);
    if (n.type === 'ImportExpression' || n.type === 'MetaProperty') found.add('import');
    if (
      (n.type === 'MemberExpression' || n.type === 'Property' || n.type.endsWith('Definition')) &&
      !n.computed
    )
      skip.add((n.type === 'MemberExpression' ? n.property : n.key) as object);
    for (const [key, value] of Object.entries(n))
      if (key !== 'type' && key !== 'start' && key !== 'end' && typeof value === 'object') stack.push(value);
  }
  return [...found];
}
