import type { FieldError } from '../catalog/api-error.js';
import { reasonPhrase } from '../catalog/status.js';
import { pointerToDotPath, quote, quoteCached, safeStringify } from './json.js';
import { type ErrorField, isAlwaysPresent, type Node } from './spec.js';
import type { ErrorView } from './types.js';

type ObjectNode = Extract<Node, { kind: 'object' }>;

// Fields whose value is fixed for a code: their JSON is computed once per code, not per response.
const perCode: ReadonlySet<ErrorField> = new Set([
  'code',
  'status',
  'id',
  'category',
  'retryable',
  'type',
  'title',
]);

function typeOf(view: ErrorView): string {
  return view.type ?? `urn:problem-type:${encodeURIComponent(view.code)}`;
}

type Writer = (view: ErrorView) => string | undefined;

function fieldErrorsWriter(style: string): Writer {
  const item =
    style === 'pointer'
      ? (e: FieldError) => `{"pointer":${quote(e.pointer)},"detail":${quote(e.detail)}}`
      : style === 'path'
        ? (e: FieldError) => `{"path":${quote(pointerToDotPath(e.pointer))},"message":${quote(e.detail)}}`
        : (e: FieldError) => `${quote(pointerToDotPath(e.pointer))}:${quote(e.detail)}`;
  const open = style === 'map' ? '{' : '[';
  const close = style === 'map' ? '}' : ']';
  return (view) => {
    const errors = view.fieldErrors;
    if (errors === undefined || errors.length === 0) return undefined;
    let json = open + item(errors[0]!);
    for (let i = 1; i < errors.length; i++) json += `,${item(errors[i]!)}`;
    return json + close;
  };
}

function fieldWriter(name: ErrorField, style: string): Writer {
  switch (name) {
    case 'code':
      return (view) => quoteCached(view.code);
    case 'message':
      return (view) => quote(view.message);
    case 'status':
      return (view) => String(view.status);
    case 'id':
      return (view) => (view.id === undefined ? undefined : String(view.id));
    case 'category':
      return (view) => quoteCached(view.category);
    case 'retryable':
      return (view) => (view.retryable ? 'true' : 'false');
    case 'details':
      return (view) => safeStringify(view.details);
    case 'errors':
      return fieldErrorsWriter(style);
    case 'correlationId':
      return (view) => (view.correlationId === undefined ? undefined : quote(view.correlationId));
    case 'type':
      return (view) => quoteCached(typeOf(view));
    case 'title':
      return (view) => quoteCached(view.title ?? reasonPhrase(view.status));
    case 'instance':
      return (view) => (view.instance === undefined ? undefined : quote(view.instance));
  }
}

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
      const write = fieldWriter(node.field, node.style);
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
  readonly status: number;
  readonly id: number | undefined;
  readonly category: string;
  readonly retryable: boolean;
  readonly type: string | undefined;
  readonly title: string | undefined;
  readonly ops: readonly Op[];
}

function isPerCode(node: Node): boolean {
  if (node.kind === 'literal') return true;
  if (node.kind === 'field') return perCode.has(node.field);
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

function planFor(root: Node, view: ErrorView): Plan {
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
    status: view.status,
    id: view.id,
    category: view.category,
    retryable: view.retryable,
    type: view.type,
    title: view.title,
    ops: joined,
  };
}

const planLimit = 10_000;

/** Compiles a declaration into a serializer; the per-code parts of a body are computed once per code. */
export function compileSerializer(root: Node): (view: ErrorView) => string {
  const plans = new Map<string, Plan>();
  return (view) => {
    let plan = plans.get(view.code);
    if (
      plan === undefined ||
      plan.status !== view.status ||
      plan.id !== view.id ||
      plan.category !== view.category ||
      plan.retryable !== view.retryable ||
      plan.type !== view.type ||
      plan.title !== view.title
    ) {
      plan = planFor(root, view);
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
    return body;
  };
}
