import { type ErrorField, errorFields } from './fields.js';
import { quote, safeStringify } from './json.js';
import { isAlwaysPresent, type Node } from './spec.js';
import type { ErrorView } from './types.js';

type ObjectNode = Extract<Node, { kind: 'object' }>;
type Writer = (view: ErrorView) => string | undefined;

const writers = new WeakMap<Node, Writer>();

/** The writer of a node: a closure compiled once that gives its JSON for an error, or `undefined`. */
export function writerOf(node: Node): Writer {
  let writer = writers.get(node);
  if (writer) return writer;
  switch (node.kind) {
    case 'literal': {
      const json = node.json;
      writer = () => json;
      break;
    }
    case 'field': {
      const write = errorFields[node.field].writer(node.options);
      writer = node.missing === 'null' ? (view) => write(view) ?? 'null' : write;
      break;
    }
    case 'first': {
      const alternatives = node.alternatives.map(writerOf);
      writer = (view) => {
        for (const alternative of alternatives) {
          const json = alternative(view);
          if (json !== undefined) return json;
        }
        return undefined;
      };
      break;
    }
    case 'object': {
      const members = node.members.map((m) => ({ key: m.keyJson, write: writerOf(m.node) }));
      const empty = members.length === 0 ? '{}' : undefined;
      writer = (view) => {
        let json = '';
        for (const member of members) {
          const value = member.write(view);
          if (value !== undefined) json += (json === '' ? '' : ',') + member.key + value;
        }
        return json === '' ? empty : `{${json}}`;
      };
      break;
    }
  }
  writers.set(node, writer);
  return writer;
}

/** The JSON of a node for one error, or `undefined` when it has no value. */
export function nodeJson(node: Node, view: ErrorView): string | undefined {
  return writerOf(node)(view);
}

/** A step of a compiled plan: text written as is, or a node evaluated per error. */
type Op = string | { readonly prefix: string; readonly write: Writer };

interface Plan {
  /** The values of the per-code fields the format writes, when the plan was laid out. */
  readonly values: readonly unknown[];
  readonly ops: readonly Op[];
}

type Read = (view: ErrorView) => unknown;

/** The readers of the per-code fields a declaration writes (and those they derive from), but the code. */
function perCodeReaders(root: Node): Read[] {
  const names = new Set<ErrorField>();
  const add = (name: ErrorField): void => {
    if (names.has(name)) return;
    names.add(name);
    for (const other of errorFields[name].dependsOn ?? []) add(other as ErrorField);
  };
  const walk = (node: Node): void => {
    if (node.kind === 'field' && errorFields[node.field].scope === 'code') add(node.field);
    else if (node.kind === 'first') node.alternatives.forEach(walk);
    else if (node.kind === 'object') for (const member of node.members) walk(member.node);
  };
  walk(root);
  // The code is the key plans are found by.
  names.delete('code');
  return [...names].map((name) => errorFields[name].value);
}

function isPerCode(node: Node): boolean {
  if (node.kind === 'literal') return true;
  if (node.kind === 'field') return errorFields[node.field].scope === 'code';
  if (node.kind === 'first') return node.alternatives.every(isPerCode);
  return node.members.every((m) => isPerCode(m.node));
}

/**
 * Lays an object out as text fixed for this code with per-error holes. Returns false where a comma
 * would depend on an earlier optional member: that object is then evaluated whole, per error.
 */
function layout(node: ObjectNode, view: ErrorView, ops: Op[], lead: string): boolean {
  let text = `${lead}{`;
  let wrote = false;
  const flush = () => {
    if (text !== '') ops.push(text);
    text = '';
  };
  for (const member of node.members) {
    const comma = wrote ? ',' : '';
    const child = member.node;
    if (isPerCode(child)) {
      const json = nodeJson(child, view);
      if (json !== undefined) {
        text += comma + member.keyJson + json;
        wrote = true;
      }
      continue;
    }
    if (child.kind === 'object' && isAlwaysPresent(child)) {
      flush();
      const nested: Op[] = [];
      if (layout(child, view, nested, comma + member.keyJson)) ops.push(...nested);
      else ops.push({ prefix: comma + member.keyJson, write: writerOf(child) });
      wrote = true;
      continue;
    }
    if (!wrote && !isAlwaysPresent(child)) return false;
    flush();
    ops.push({ prefix: comma + member.keyJson, write: writerOf(child) });
    wrote = true;
  }
  text += '}';
  flush();
  return true;
}

function planFor(root: Node, view: ErrorView, readers: readonly Read[]): Plan {
  const ops: Op[] = [];
  if (root.kind !== 'object' || !layout(root, view, ops, ''))
    ops.splice(0, ops.length, { prefix: '', write: writerOf(root) });
  // Adjacent text is joined so that a response is as few concatenations as it can be.
  const joined: Op[] = [];
  for (const op of ops) {
    const last = joined[joined.length - 1];
    if (typeof op === 'string' && typeof last === 'string') joined[joined.length - 1] = last + op;
    else joined.push(op);
  }
  return {
    values: readers.map((read) => read(view)),
    ops: joined,
  };
}

/**
 * Whether a plan still holds for a view (the same code may come with another status, type, title…).
 * Unrolled for the usual few fields: a loop calling every reader from one site cost a tenth of the
 * serializer's time on problem+json.
 */
function holdsOf(readers: readonly Read[]): (plan: Plan, view: ErrorView) => boolean {
  const [a, b, c, d] = readers;
  switch (readers.length) {
    case 0:
      return () => true;
    case 1:
      return (plan, view) => plan.values[0] === a!(view);
    case 2:
      return (plan, view) => plan.values[0] === a!(view) && plan.values[1] === b!(view);
    case 3:
      return (plan, view) =>
        plan.values[0] === a!(view) && plan.values[1] === b!(view) && plan.values[2] === c!(view);
    case 4:
      return (plan, view) =>
        plan.values[0] === a!(view) &&
        plan.values[1] === b!(view) &&
        plan.values[2] === c!(view) &&
        plan.values[3] === d!(view);
    default:
      return (plan, view) => {
        for (let i = 0; i < readers.length; i++) if (plan.values[i] !== readers[i]!(view)) return false;
        return true;
      };
  }
}

const planLimit = 10_000;

/** The members a code adds to the body, as JSON text after a comma; none that the format declares itself. */
function membersJson(members: Readonly<Record<string, unknown>>, declared: ReadonlySet<string>): string {
  let json = '';
  for (const name of Object.keys(members)) {
    if (declared.has(name)) continue;
    const value = safeStringify(members[name]);
    if (value !== undefined) json += `,${quote(name)}:${value}`;
  }
  return json;
}

/** Adds a code's own members at the top level of a body the declaration wrote. */
function withMembers(
  body: string,
  members: Readonly<Record<string, unknown>>,
  declared: ReadonlySet<string>,
) {
  const json = membersJson(members, declared);
  if (json === '') return body;
  return body === '' || body === '{}' ? `{${json.slice(1)}}` : `${body.slice(0, -1)}${json}}`;
}

/** Compiles a declaration into a serializer; the per-code parts of a body are computed once per code. */
export function compileSerializer(root: Node): (view: ErrorView) => string {
  const plans = new Map<string, Plan>();
  const readers = perCodeReaders(root);
  const holds = holdsOf(readers);
  const declared = new Set(root.kind === 'object' ? root.members.map((m) => m.key) : []);
  return (view) => {
    let plan = plans.get(view.code);
    if (plan === undefined || !holds(plan, view)) {
      plan = planFor(root, view, readers);
      if (plans.size >= planLimit) plans.clear();
      plans.set(view.code, plan);
    }
    const ops = plan.ops;
    let body = '';
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      if (typeof op === 'string') {
        body += op;
      } else {
        const json = op.write(view);
        if (json !== undefined) body += op.prefix + json;
      }
    }
    return view.members === undefined ? body : withMembers(body, view.members, declared);
  };
}
