import { FaultlineConfigError } from '../catalog/config-error.js';
import { type FieldOptions, row } from './field-definition.js';
import { eventFieldReaders } from './field-readers.js';
import { quote, safeStringify } from './json.js';

function checkUnit(allowed: readonly string[]) {
  return (options: FieldOptions, path: string): void => {
    if (options.unit !== undefined && !allowed.includes(options.unit))
      throw new FaultlineConfigError(
        'FAULTLINE_INVALID_FORMAT',
        `${path}: unit ${String(options.unit)} (one of ${allowed.join(', ')})`,
      );
  };
}

function lookup(value: unknown, path: string): unknown {
  for (const key of path.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    // The event is the client's: a getter or proxy trap in it must not break the answer.
    try {
      value = Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
    } catch {
      return undefined;
    }
  }
  return value;
}

// ISO-8601 of an event time, quoted: the part up to the second is computed once per second, and the
// milliseconds come from a table, so that a stream of events does not pay for a Date each.
const millis = Array.from({ length: 1000 }, (_, i) => `${String(i).padStart(3, '0')}Z"`);
const lastYear = Date.UTC(10_000, 0, 1);
let isoSecond = Number.NaN;
let isoPrefix = '';

function isoJson(ms: number): string | undefined {
  const t = Math.trunc(ms);
  if (t < 0 || t >= lastYear) {
    const date = new Date(t);
    return Number.isNaN(date.getTime()) ? undefined : `"${date.toISOString()}"`;
  }
  const rest = t % 1000;
  const second = t - rest;
  if (second !== isoSecond) {
    isoPrefix = `"${new Date(second).toISOString().slice(0, 20)}`;
    isoSecond = second;
  }
  return isoPrefix + millis[rest]!;
}

/**
 * The rows of WebSocket error events: values that belong to the event (its id, the client event it
 * answers, its time, a copy of part of the client's event, the wait before sending again).
 */
export const eventFields = {
  eventId: row({
    key: 'eventId',
    value: (view) => view.eventId,
    scope: 'occurrence',
    always: false,
    onApiError: false,
    description: 'A fresh id of this error event.',
    schema: () => ({ type: 'string' }),
    writer: () => (view) => (view.eventId === undefined ? undefined : quote(view.eventId)),
    reader: eventFieldReaders.eventId,
  }),
  replyTo: row({
    key: 'replyTo',
    value: (view) => view.replyTo,
    scope: 'occurrence',
    always: false,
    onApiError: false,
    description: 'The id of the client event this error answers.',
    schema: () => ({ type: ['string', 'number'] }),
    writer: () => (view) => {
      const id = view.replyTo;
      if (typeof id === 'string') return quote(id);
      return typeof id === 'number' && Number.isFinite(id) ? String(id) : undefined;
    },
    reader: eventFieldReaders.replyTo,
  }),
  timestamp: row({
    key: 'timestamp',
    value: (view) => view.timestamp,
    scope: 'occurrence',
    always: false,
    onApiError: false,
    description: 'When the error happened.',
    schema: (options) =>
      (options.unit ?? 'iso') === 'iso' ? { type: 'string', format: 'date-time' } : { type: 'number' },
    writer: (options) => {
      const unit = options.unit ?? 'iso';
      return (view) => {
        const ms = view.timestamp;
        if (ms === undefined || !Number.isFinite(ms)) return undefined;
        if (unit === 'ms') return String(ms);
        if (unit === 's') return String(Math.floor(ms / 1000));
        return isoJson(ms);
      };
    },
    reader: eventFieldReaders.timestamp,
    check: checkUnit(['iso', 'ms', 's']),
  }),
  echo: row({
    key: 'echo',
    value: (view) => view.event,
    scope: 'occurrence',
    always: false,
    onApiError: false,
    description: 'A part of the client event, copied back as it was sent.',
    schema: () => ({}),
    writer: (options) => {
      const path = options.path!;
      return (view) => safeStringify(lookup(view.event, path));
    },
    reader: eventFieldReaders.echo,
    check(options, path) {
      if (typeof options.path !== 'string' || options.path === '')
        throw new FaultlineConfigError(
          'FAULTLINE_INVALID_FORMAT',
          `${path}: echo needs a path, e.g. field('echo', { path: 'metadata' })`,
        );
    },
  }),
  retryAfter: row({
    key: 'retryAfter',
    value: (view) => view.retryAfter,
    scope: 'occurrence',
    always: false,
    onApiError: true,
    description: 'How long to wait before sending again (the event form of Retry-After).',
    schema: () => ({ type: 'number', minimum: 0 }),
    writer: (options) => {
      const ms = options.unit === 'ms';
      return (view) => {
        const seconds = view.retryAfter;
        if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return undefined;
        return String(ms ? Math.ceil(seconds * 1000) : seconds);
      };
    },
    reader: eventFieldReaders.retryAfter,
    check: checkUnit(['s', 'ms']),
  }),
} as const;
