import type { ApiErrorInit } from '../catalog/api-error.js';
import type { ReadableCatalog } from '../catalog/readable.js';
import { holdsRequiredDetails } from '../catalog/required-details.js';
import { roleOfStatus } from '../catalog/role-tables.js';
import { standardCodeOfStatus } from '../catalog/standard-codes.js';
import { isErrorStatus } from '../catalog/status.js';
import type { CatalogEntry } from '../catalog/types.js';
import { bodyFields, entryFields, isRecord } from './field-readers.js';
import { defaultMaxDepth, nestsDeeperThan } from './json-depth.js';
import type { FormatReader } from './read-format.js';
import type { ParsedError } from './types.js';

/** What reading a body takes besides the body: the formats to try (the earlier wins on equal fit), and more. */
export interface ReadBodyOptions {
  formats: readonly FormatReader[];
  /** The response status, used when the body does not carry one. */
  status?: number | undefined;
  /** The API's catalog: fills in what the body leaves out, and maps message-only bodies to codes. */
  catalog?: ReadableCatalog | undefined;
  /** A correlation id from a response header, used when the body carries none. */
  correlationId?: string | undefined;
  /** The message of an error whose body and entry say none, from its status. */
  reason: (status: number) => string;
}

/**
 * A body as parsed JSON: text is parsed (`undefined` when it is no JSON, or nests deeper than a server's
 * reader allows: an error is logged and serialized whole), anything else taken as parsed.
 */
export function toBody(body: unknown): unknown {
  if (typeof body !== 'string') return body;
  if (nestsDeeperThan(body, defaultMaxDepth)) return undefined;
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/** The declared format a parsed body is in (its best fit), or `undefined` when none fits. */
export function bestFit<F extends FormatReader>(
  value: unknown,
  formats: readonly F[],
): { format: F; parsed: ParsedError } | undefined {
  let best: F | undefined;
  let bestScore = 0;
  for (const format of formats) {
    const score = format.match(value);
    if (score > bestScore) {
      best = format;
      bestScore = score;
    }
  }
  if (!best) return undefined;
  return { format: best, parsed: best.parse(value)! };
}

/**
 * The members of a body beyond its format's own: those the catalog entry declares, or, for a code that
 * declares none (or without a catalog), every top-level member the format does not declare (RFC 9457
 * extension members).
 */
function membersOfBody(
  body: unknown,
  format: FormatReader,
  entry: CatalogEntry | undefined,
): Record<string, unknown> | undefined {
  if (!isRecord(body)) return undefined;
  const pairs = Object.keys(entry?.members ?? body)
    .filter(
      (name) => !Object.hasOwn(format.spec, name) && Object.hasOwn(body, name) && body[name] !== undefined,
    )
    .map((name) => [name, body[name]] as const);
  // fromEntries defines own properties: a member named `__proto__` stays data, never a prototype.
  return pairs.length > 0 ? Object.fromEntries(pairs) : undefined;
}

/**
 * The details an entry's members stand for, when its body carries no details of its own and the members
 * hold every field its details require (so that the details the client types are whole).
 */
function detailsOfMembers(entry: CatalogEntry, members: Record<string, unknown>): unknown {
  if (entry.members === undefined) return undefined;
  const pairs = Object.entries(entry.members)
    .filter(([name]) => Object.hasOwn(members, name))
    .map(([name, field]) => [field, members[name]] as const);
  const details: Record<string, unknown> = Object.fromEntries(pairs);
  return pairs.length > 0 && holdsRequiredDetails(details, entry.requiredDetails) ? details : undefined;
}

function codeForStatus(status: number, catalog: ReadableCatalog | undefined): string {
  if (!catalog) return standardCodeOfStatus(status);
  return catalog.builtins[roleOfStatus[status] ?? (status >= 500 ? 'internalError' : 'badRequest')];
}

/** The fields of the error a body holds, filled in from the catalog and the status where it is silent. */
export function readErrorInit(body: unknown, options: ReadBodyOptions): ApiErrorInit {
  const { formats, status, catalog, correlationId, reason } = options;
  const value = toBody(body);
  const detected = bestFit(value, formats);
  const parsed = detected?.parsed ?? {};
  // The response's own status wins over one its body claims (RFC 9457 §3.1.2: `status` is advisory), so
  // that a code read from a status is the response's: a 400 whose body says 429 is no rate limit.
  const givenStatus = isErrorStatus(status)
    ? status
    : isErrorStatus(parsed.status)
      ? parsed.status
      : undefined;
  let entry: CatalogEntry | undefined;
  let details: unknown;
  if (catalog && parsed.code !== undefined) entry = catalog.get(parsed.code);
  else if (catalog && parsed.message !== undefined) {
    // A body without a code names its error by message: exact, or a template with its values read back.
    const match = catalog.match(parsed.message);
    entry = match?.entry;
    details = match?.details;
  }
  const finalStatus = givenStatus ?? entry?.status ?? 500;
  // What the body holds wins; the catalog's entry fills in what it leaves out.
  const init: Record<string, unknown> = {};
  for (const key of entryFields) init[key] = parsed[key] ?? entry?.[key];
  for (const key of bodyFields) init[key] = parsed[key];
  init.status = finalStatus;
  init.code ??= codeForStatus(finalStatus, catalog);
  init.correlationId ??= correlationId;
  if (init.details === undefined && details !== undefined) init.details = details;
  const members = detected && membersOfBody(value, detected.format, entry);
  if (members !== undefined) {
    init.members = members;
    if (init.details === undefined && entry !== undefined) init.details = detailsOfMembers(entry, members);
  }
  // An entry's message is a template: filled from the details, as the server fills it.
  init.message =
    parsed.message ?? parsed.title ?? entry?.template.render(init.details) ?? reason(finalStatus);
  if (entry?.role !== undefined) init.role = entry.role;
  return init as unknown as ApiErrorInit;
}
