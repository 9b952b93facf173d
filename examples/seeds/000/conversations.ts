/**
 * Listing conversations: `filter` is comma-separated `field:op:value` terms that must all hold
 * (`channel:eq:sms`, `startedAt:gt:1767225600000` or `startedAt:lt:2026-01-02`), `sort` one field,
 * `-` first for descending. Terms outside that grammar are the page's parse and sort errors.
 */
import { errors } from './catalog.js';
import type { Conversation } from './model.js';

type Term = (conversation: Conversation) => boolean;

const channels = new Set(['voice', 'chat', 'sms']);
const term = /^(channel|startedAt):(eq|gt|lt):([\w.-]+)$/;

/** A time as epoch milliseconds or a `YYYY-MM-DD` date (UTC midnight); `undefined` when it is neither. */
function timeOf(value: string): number | undefined {
  if (/^\d{1,15}$/.test(value)) return Number(value);
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const time = Date.parse(`${value}T00:00:00Z`);
    return Number.isNaN(time) ? undefined : time;
  }
  return undefined;
}

function parseTerm(text: string): Term {
  const match = term.exec(text);
  if (!match) throw errors.create('GET_CONVERSATIONS_FILTER_PARSE_ERROR');
  const [, field, op, value] = match as unknown as [string, string, string, string];
  if (field === 'channel') {
    // A channel has no order: only equality, and only with a channel that exists.
    if (op !== 'eq' || !channels.has(value)) throw errors.create('GET_CONVERSATIONS_FILTER_PARSE_ERROR');
    return (c) => c.channel === value;
  }
  const time = timeOf(value);
  if (time === undefined) throw errors.create('GET_CONVERSATIONS_FILTER_PARSE_ERROR');
  if (op === 'eq') return (c) => c.startedAt === time;
  return op === 'gt' ? (c) => c.startedAt > time : (c) => c.startedAt < time;
}

const sorts: Record<string, (a: Conversation, b: Conversation) => number> = {
  startedAt: (a, b) => a.startedAt - b.startedAt,
  '-startedAt': (a, b) => b.startedAt - a.startedAt,
  channel: (a, b) => a.channel.localeCompare(b.channel),
  '-channel': (a, b) => b.channel.localeCompare(a.channel),
};

/** The conversations that pass `filter`, ordered by `sort` (insertion order without one). */
export function listConversations(
  conversations: readonly Conversation[],
  filter: string | null,
  sort: string | null,
): Conversation[] {
  const terms = filter === null ? [] : filter.split(',').slice(0, 20).map(parseTerm);
  if (filter !== null && filter.split(',').length > 20)
    throw errors.create('GET_CONVERSATIONS_FILTER_PARSE_ERROR');
  const order = sort === null ? undefined : Object.hasOwn(sorts, sort) ? sorts[sort] : null;
  if (order === null) throw errors.create('GET_CONVERSATIONS_INVALID_SORT_PARAMETER');
  const listed = conversations.filter((c) => terms.every((t) => t(c)));
  return order ? listed.sort(order) : listed;
}
