import type { ApiError } from '../catalog/api-error.js';
import { categoryOf, retryableByDefault } from '../catalog/status.js';
import type { Catalog, CatalogEntry } from '../catalog/types.js';
import type { ErrorFormat, ErrorView } from '../format/types.js';
import type { Correlation } from './correlation.js';
import { headerToken, isSafeHeaderValue } from './header-grammar.js';
import type { Localizer } from './locale.js';
import { headerOf, type RequestView } from './request.js';

// Headers that frame or encode the message faultline writes, or hold its connection: an error's own would
// contradict the body it goes with (a `Transfer-Encoding` beside the `Content-Length`, a `Content-Encoding`
// over plain JSON). `Upgrade` stays: a 426 must send it.
const framing: ReadonlySet<string> = new Set([
  'content-length',
  'content-encoding',
  'content-range',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
]);

/**
 * Whether a header can go on the wire as it is: its name a token and not one of the message's framing, its
 * value free of what node refuses (a CR or LF that would split it, other control characters). The one rule
 * for every header an error carries.
 */
export function isSendableHeader(name: string, value: unknown): value is string {
  return (
    typeof value === 'string' &&
    headerToken.test(name) &&
    !framing.has(name.toLowerCase()) &&
    isSafeHeaderValue(value)
  );
}

// Whether the request's own Connection names `close`.
function asksToClose(request: RequestView): boolean {
  const connection = headerOf(request.headers, 'connection');
  return typeof connection === 'string' && /(?:^|[\s,])close(?:$|[\s,])/i.test(connection);
}

/** An error rendered for the wire: status, lower-case headers and the serialized body. */
export interface RenderedError {
  readonly status: number;
  /** Lower-case header names: content type, correlation id, content language, the error's own headers. */
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** What `render` needs of a handler: an `ErrorHandler` is one. */
export interface Renderer {
  render(error: ApiError, request?: RequestView): RenderedError;
}

/** The compiled parts a renderer is made of. */
export interface RendererParts {
  readonly catalog: Catalog<any>;
  readonly format: ErrorFormat;
  readonly correlation: Correlation;
  readonly localizer: Localizer | undefined;
  readonly instanceOf: (request: RequestView) => string | undefined;
}

/**
 * Renders an ApiError of the catalog for `request` with the handler's format, locales and correlation
 * ids; HTTP and WebSocket answers share it. An error that carries a correlation id keeps it.
 * @example
 * const { status, headers, body } = render(errors.create('RATE_LIMITED'), request, handler);
 */
export function render(error: ApiError, request: RequestView, handler: Renderer): RenderedError {
  return handler.render(error, request);
}

// Bodies of errors without details, field errors or a replaced message depend only on the code, the
// format, the locale, the instance and the correlation id: the rest is computed once and spliced.
const slotC = '\u0001c\u0001';
const slotI = '\u0001i\u0001';
const quotedSlotC = JSON.stringify(slotC).slice(1, -1);
const quotedSlotI = JSON.stringify(slotI).slice(1, -1);

interface Template {
  readonly parts: readonly string[];
  /** For each slot between parts: 0 for the correlation id, 1 for the instance. */
  readonly slots: readonly number[];
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters JSON escapes
const needsEscape = /["\\\u0000-\u001f\u2028\u2029\ud800-\udfff]/;

// A generated id or a plain path needs no escaping: JSON.stringify only for the rest.
function quoteInner(value: string): string {
  return needsEscape.test(value) ? JSON.stringify(value).slice(1, -1) : value;
}

function compileTemplate(format: ErrorFormat, view: ErrorView): Template | null {
  const text = format.serialize({ ...view, correlationId: slotC, instance: slotI });
  const parts: string[] = [];
  const slots: number[] = [];
  let rest = text;
  for (;;) {
    const c = rest.indexOf(quotedSlotC);
    const i = rest.indexOf(quotedSlotI);
    if (c === -1 && i === -1) break;
    const first = c === -1 ? i : i === -1 ? c : Math.min(c, i);
    parts.push(rest.slice(0, first));
    slots.push(first === c ? 0 : 1);
    rest = rest.slice(first + (first === c ? quotedSlotC.length : quotedSlotI.length));
  }
  parts.push(rest);
  // A format that transforms the values (or drops the instance while it is absent) is served by its serializer.
  if (slots.filter((s) => s === 1).length > 1 || slots.filter((s) => s === 0).length > 1) return null;
  return { parts, slots };
}

/** Compiles a renderer once from its parts. */
export function createRenderer(parts: RendererParts): Renderer {
  const { catalog, format, correlation, localizer, instanceOf } = parts;
  const templates = new Map<string, Template | null>();
  const maxTemplates = 1024;

  // Whether every field of the body but the correlation id and the instance is the entry's (under the
  // error's status): a hand-built error of the code with its own category or members is not.
  function plain(error: ApiError, entry: CatalogEntry | undefined): entry is CatalogEntry {
    if (error.details !== undefined || error.fieldErrors !== undefined || error.members !== undefined)
      return false;
    if (
      entry === undefined ||
      entry.template.placeholders.length !== 0 ||
      entry.message !== error.message ||
      entry.type !== error.type ||
      entry.id !== error.id
    )
      return false;
    return error.status === entry.status
      ? error.category === entry.category && error.retryable === entry.retryable
      : error.category === categoryOf(error.status) && error.retryable === retryableByDefault(error.status);
  }

  function body(view: ErrorView, key: string | undefined): string {
    if (key === undefined || view.instance === undefined || view.correlationId === undefined)
      return format.serialize(view);
    let template = templates.get(key);
    if (template === undefined) {
      template = compileTemplate(format, view);
      if (templates.size >= maxTemplates) templates.clear();
      templates.set(key, template);
    }
    if (template === null) return format.serialize(view);
    const { parts, slots } = template;
    let out = parts[0]!;
    for (let i = 0; i < slots.length; i++) {
      out += quoteInner(slots[i] === 0 ? view.correlationId : view.instance) + parts[i + 1]!;
    }
    return out;
  }

  return {
    render(error, request = {}) {
      const correlationId = error.correlationId ?? correlation.of(request);
      try {
        error.correlationId = correlationId;
      } catch {
        // A frozen error keeps none; `handle` answers it over an object that takes the id.
      }
      const headers: Record<string, string> = {};
      const own = error.headers;
      // for…in over the error's few headers: cheaper than spreading a frozen object on every answer. One a
      // node response would refuse (a CR or LF that splits it, a name that is no token) is dropped.
      for (const name in own) {
        const value = own[name];
        // Lower case, as every name faultline sets: `Content-Type` would go out beside `content-type`.
        const lower = name.toLowerCase();
        if (isSendableHeader(lower, value)) headers[lower] = value;
      }
      // RFC 9110 §7.8: a sender of Upgrade (a 426's) names it in Connection too, which an error's own
      // headers may not set (it frames the message). A client that asked to close still has it closed.
      if (headers.upgrade !== undefined)
        headers.connection = asksToClose(request) ? 'upgrade, close' : 'upgrade';
      // The format's media type and the correlation id are faultline's; an error's headers never replace them.
      headers['content-type'] = format.contentType;
      headers[correlation.responseHeader] = correlationId;
      let message = error.message;
      let locale: string | undefined;
      if (localizer) {
        locale = localizer.negotiate(headerOf(request.headers, 'accept-language'));
        message = localizer.message(locale, error.code, error.details) ?? message;
        headers['content-language'] = locale;
      }
      const entry = catalog.get(error.code);
      const view: ErrorView = {
        code: error.code,
        status: error.status,
        message,
        id: error.id,
        category: error.category,
        retryable: error.retryable,
        details: error.details,
        fieldErrors: error.fieldErrors,
        correlationId,
        type: error.type,
        title: entry?.title,
        instance: instanceOf(request),
        members: error.members,
      };
      const key = plain(error, entry) ? `${error.code}\u0000${locale ?? ''}\u0000${error.status}` : undefined;
      return { status: error.status, headers, body: body(view, key) };
    },
  };
}
