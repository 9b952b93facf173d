import { toApiError } from '../catalog/to-api-error.js';
import type { Catalog, CatalogEntry } from '../catalog/types.js';
import { isWsEntry, registeredCloseName, wsBehaviourOf } from '../catalog/ws-codes.js';
import type { ReconnectAdvice } from '../catalog/ws-types.js';
import type { ErrorFormat, ErrorView } from '../format/types.js';
import { mdInline, visible } from './escape.js';

/** What the WebSocket section shows of an endpoint's limits (the values given to `createWsErrors`). */
export interface WsDocsOptions {
  /** The endpoint's path, e.g. `/v1/ws`. */
  path?: string;
  /** The envelope of the endpoint's error events (`createWsErrors({ event })`): the section shows an example. */
  event?: ErrorFormat;
  /** Soft message size limit in bytes (answered with an event). */
  maxBytes?: number;
  /** Hard limit in bytes (`maxPayload`: closes with 1009). */
  maxPayload?: number;
  /** Messages per window per key, and what happens over it. */
  rate?: { limit: number; window?: number; over?: 'drop' | 'event' | 'close'; closeAfter?: number };
  /**
   * The error-event budget per connection (`limits.errorEvents`), shown as given; pass it when the
   * endpoint has no message rate, since the budget then bounds every answer.
   */
  errorEvents?: { rate?: number; burst?: number; closeAfter?: number } | 'off';
  /** Simultaneous connections per key. */
  connections?: number;
  heartbeat?: number;
  idleTimeout?: number;
  maxDuration?: number;
}

/** One table of the section: headers and rows of plain text (inline code in backticks). */
export interface WsDocTable {
  readonly title: string;
  readonly intro: string;
  readonly headers: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

const advice: Record<ReconnectAdvice, string> = {
  never: 'No',
  backoff: 'Yes, with backoff',
  afterAuth: 'After refreshing credentials',
  immediate: 'Yes, at once',
};

const handshakeRoles = new Set(['connectionLimit', 'upgradeRequired', 'handshakeInvalid']);

function isHandshake(entry: CatalogEntry): boolean {
  if (entry.roles.some((r) => handshakeRoles.has(r))) return true;
  // Authentication, parameter and lookup errors without a close of their own are answered at the handshake.
  return !isWsEntry(entry) && [400, 401, 403, 404].includes(entry.status) && entry.group !== 'http';
}

function ms(value: number): string {
  return value % 60_000 === 0
    ? `${value / 60_000} min`
    : value % 1000 === 0
      ? `${value / 1000} s`
      : `${value} ms`;
}

/**
 * The WebSocket section of a reference page as tables: handshake errors, in-session errors ("stays open" /
 * "closes with N"), close codes with Reconnect and Resume columns (observed-only ones included), limits.
 * Empty for a catalog without WebSocket entries or close codes, unless `websocket` options are given.
 * @example
 * const tables = websocketTables(errors, { connections: 10, rate: { limit: 20 } });
 */
export function websocketTables(catalog: Catalog<any>, options?: WsDocsOptions): WsDocTable[] {
  const entries = catalog.codes.map((c) => catalog.entries[c] as CatalogEntry);
  const wsEntries = entries.filter(isWsEntry);
  if (wsEntries.length === 0 && catalog.closeCodes.length === 0 && options === undefined) return [];
  const handshake = entries.filter(isHandshake);
  const internal = entries.filter((e) => e.role === 'internalError' || e.role === 'validationFailed');
  const inSession = [...wsEntries.filter((e) => !isHandshake(e)), ...internal];
  const tables: WsDocTable[] = [];
  tables.push({
    title: 'WebSocket handshake errors',
    intro:
      'Refused connections are answered over HTTP before the upgrade, in the same envelope, status and headers as the REST API, with `Connection: close`. Browsers hide these answers from scripts (they report close code 1006).',
    headers: ['Status', 'Code', 'Message', 'Cause', 'Fix'],
    rows: handshake.map((e) => [
      String(e.status),
      `\`${e.code}\``,
      e.message,
      e.cause ?? e.description ?? '',
      e.fix ?? '',
    ]),
  });
  tables.push({
    title: 'WebSocket in-session errors',
    intro:
      'Raised while handling a message, an error is an error event; the connection stays open unless the row says it closes. At connection scope (idle, duration, shutdown) the event is followed by the close code.',
    headers: ['Code', 'Message', 'Connection', 'Retry'],
    rows: inSession.map((e) => {
      const b = wsBehaviourOf(e);
      const connection = b.roles.includes('heartbeatTimeout')
        ? 'terminated (client sees 1006)'
        : b.closesOnRaise
          ? `closes with ${b.closeCode}`
          : 'stays open';
      return [`\`${e.code}\``, e.message, connection, e.retryable ? 'Yes' : 'No'];
    }),
  });
  const closeRows: string[][] = [];
  for (const e of [...wsEntries, ...internal]) {
    const b = wsBehaviourOf(e);
    if (b.roles.includes('heartbeatTimeout') || handshake.includes(e)) continue;
    closeRows.push([
      String(b.closeCode),
      registeredCloseName(b.closeCode) ?? e.title,
      `\`${e.code}\``,
      'server',
      advice[b.reconnect],
      b.resume ? 'Yes' : 'No',
      e.description ?? e.message,
    ]);
  }
  for (const c of catalog.closeCodes) {
    closeRows.push([
      String(c.code),
      c.name,
      '—',
      c.kind === 'observed' ? 'observed only' : 'server',
      advice[c.reconnect],
      c.resume ? 'Yes' : 'No',
      c.description ?? '',
    ]);
  }
  closeRows.sort((a, b) => Number(a[0]) - Number(b[0]));
  tables.push({
    title: 'WebSocket close codes',
    intro:
      'The close reason carries the catalog code; the error event before it carries the rest. "Observed only" codes are never sent: clients report them (1006 when the network drops).',
    headers: ['Close code', 'Name', 'Catalog code', 'Sent by', 'Reconnect', 'Resume', 'When'],
    rows: closeRows,
  });
  if (options) {
    const limits: string[][] = [];
    if (options.path) limits.push(['Endpoint', `\`${options.path}\``]);
    if (options.maxBytes)
      limits.push(['Message size', `${options.maxBytes} bytes (larger: error event, stays open)`]);
    if (options.maxPayload)
      limits.push(['Hard message size', `${options.maxPayload} bytes (larger: closes with 1009)`]);
    if (options.rate) {
      const { over = 'drop', closeAfter } = options.rate;
      const escalation =
        over !== 'close' && closeAfter ? `; after ${closeAfter} in a row the connection closes` : '';
      limits.push([
        'Message rate per session',
        `${options.rate.limit} per ${ms(options.rate.window ?? 1000)}; over it messages are ${over === 'drop' ? 'dropped' : over === 'event' ? 'answered with an error event' : 'refused and the connection closes'}${escalation}`,
      ]);
    }
    if (options.errorEvents === 'off')
      limits.push(['Error events per connection', 'every message is answered']);
    else if (options.errorEvents) {
      const { rate = 10, burst = 20, closeAfter = 100 } = options.errorEvents;
      const close = Number.isFinite(closeAfter)
        ? `; after ${closeAfter} unanswered refusals the connection closes with 1008`
        : '';
      limits.push([
        'Error events per connection',
        `${burst} at once, then ${rate} per second; past it refused messages go unanswered${close}`,
      ]);
    }
    if (options.connections)
      limits.push(['Connections per session', `${options.connections} (more: 429 at the handshake)`]);
    if (options.heartbeat)
      limits.push(['Heartbeat', `ping every ${ms(options.heartbeat)}; no pong by the next: dropped`]);
    if (options.idleTimeout) limits.push(['Idle timeout', ms(options.idleTimeout)]);
    if (options.maxDuration) limits.push(['Maximum connection duration', ms(options.maxDuration)]);
    tables.push({ title: 'WebSocket limits', intro: '', headers: ['Limit', 'Value'], rows: limits });
  }
  return tables.filter((t) => t.rows.length > 0);
}

/** The values of one error event that belong to its occurrence, not to its code. */
export interface EventOccurrence {
  /** @default 'evt_3f9a1c07' */
  eventId?: string;
  /** Epoch ms. @default 2026-01-15T09:30:00.000Z */
  timestamp?: number;
  /** The client event answered, for `replyTo` and `echo(path)`. @default { type: 'example', id: 'c1', metadata: { custom: 'value' } } */
  event?: unknown;
  /** @default the client event's `id` */
  replyTo?: string | number;
  /** @default the docs' sample correlation id */
  correlationId?: string;
  /** Values for the message's placeholders. @default each placeholder as `<name>` */
  details?: unknown;
  /** Seconds, for `retryAfter`. @default 1 for a rate-limit code */
  retryAfter?: number;
}

const sampleClientEvent = { type: 'example', id: 'c1', metadata: { custom: 'value' } };

function placeholderDetails(entry: CatalogEntry): Record<string, string> | undefined {
  const names = entry.template.placeholders;
  if (names.length === 0) return undefined;
  const details: Record<string, string> = {};
  for (const name of names) details[name] = `<${name}>`;
  return details;
}

/**
 * The error event an endpoint sends for a catalog entry, parsed: the example of the reference page, and what
 * the runtime event equals once its occurrence (event id, time, correlation id) is given.
 * @example
 * sampleEvent(errors.get('SESSION_ENDED')!, wsEvent, { eventId: parsed.eventId, timestamp: parsed.timestamp });
 */
export function sampleEvent(
  entry: CatalogEntry,
  event: ErrorFormat,
  occurrence: EventOccurrence = {},
): unknown {
  const client = 'event' in occurrence ? occurrence.event : sampleClientEvent;
  const id = (client as { id?: unknown } | undefined)?.id;
  const details = 'details' in occurrence ? occurrence.details : placeholderDetails(entry);
  const error = toApiError(entry, details, {
    stack: false,
    correlationId: occurrence.correlationId ?? '550e8400-e29b-41d4-a716-446655440000',
  });
  const view: ErrorView = {
    ...error.toJSON(),
    title: entry.title,
    eventId: occurrence.eventId ?? 'evt_3f9a1c07',
    timestamp: occurrence.timestamp ?? Date.UTC(2026, 0, 15, 9, 30),
    replyTo: occurrence.replyTo ?? (typeof id === 'string' || typeof id === 'number' ? id : undefined),
    event: client,
    retryAfter:
      'retryAfter' in occurrence
        ? occurrence.retryAfter
        : entry.roles.includes('messageRateLimited')
          ? 1
          : undefined,
  } as ErrorView;
  return JSON.parse(event.serialize(view));
}

/** The code the section's example event is shown for: the first in-session code, else validation. */
function exampleEntry(catalog: Catalog<any>): CatalogEntry | undefined {
  for (const code of catalog.codes) {
    const entry = catalog.entries[code] as CatalogEntry;
    if (isWsEntry(entry) && !isHandshake(entry)) return entry;
  }
  return catalog.get(catalog.builtins.validationFailed);
}

/** The section's example error event: its code, and its JSON as the endpoint writes it. */
export function websocketExample(
  catalog: Catalog<any>,
  options: WsDocsOptions | undefined,
): { code: string; json: string } | undefined {
  if (options?.event === undefined || websocketTables(catalog, options).length === 0) return undefined;
  const entry = exampleEntry(catalog);
  if (entry === undefined) return undefined;
  return { code: entry.code, json: JSON.stringify(sampleEvent(entry, options.event), null, 2) };
}

const exampleIntro = (code: string) =>
  `The error event for \`${code}\`, answering the client event \`c1\`. Every in-session error has this shape.`;

const cell = (text: string) => mdInline(text, true);

/** The WebSocket section as Markdown (empty for an HTTP-only catalog). */
export function websocketMarkdown(catalog: Catalog<any>, options?: WsDocsOptions): string {
  let text = '';
  for (const t of websocketTables(catalog, options)) {
    text += `\n## ${t.title}\n\n${t.intro ? `${t.intro}\n\n` : ''}| ${t.headers.join(' | ')} |\n| ${t.headers.map(() => '---').join(' | ')} |\n`;
    for (const row of t.rows) text += `| ${row.map(cell).join(' | ')} |\n`;
  }
  const example = websocketExample(catalog, options);
  if (example) {
    text += `\n## WebSocket error event\n\n${mdInline(exampleIntro(example.code))}\n\n\`\`\`json\n${visible(example.json)}\n\`\`\`\n`;
  }
  return text;
}

/** The WebSocket section as HTML sections, with the page's own escaping (empty for an HTTP-only catalog). */
export function websocketHtml(
  catalog: Catalog<any>,
  options: WsDocsOptions | undefined,
  prose: (text: string) => string,
): string {
  const example = websocketExample(catalog, options);
  const exampleHtml = example
    ? `\n<section data-websocket><h2>${prose('WebSocket error event')}</h2><p>${prose(exampleIntro(example.code))}</p><pre><code>${escapeCode(example.json)}</code></pre></section>`
    : '';
  return `${websocketTables(catalog, options)
    .map(
      (t) =>
        `<section data-websocket><h2>${prose(t.title)}</h2>${t.intro ? `<p>${prose(t.intro)}</p>` : ''}<table><thead><tr>${t.headers.map((h) => `<th>${prose(h)}</th>`).join('')}</tr></thead><tbody>\n${t.rows.map((r) => `<tr>${r.map((c, i) => `<td data-label="${prose(t.headers[i]!)}">${prose(c)}</td>`).join('')}</tr>`).join('\n')}\n</tbody></table></section>`,
    )
    .join('\n')}${exampleHtml}`;
}

function escapeCode(text: string): string {
  return text.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
}
