import type { ProsePaths } from '../catalog/builtin-prose.js';
import { FaultlineConfigError } from '../catalog/config-error.js';
import { standardDefinitions } from '../catalog/standard.js';
import { reasonPhrase } from '../catalog/status.js';
import { type ToApiErrorOptions, toApiError } from '../catalog/to-api-error.js';
import type { Catalog, CatalogEntry } from '../catalog/types.js';
import { type ErrorField, errorFields } from '../format/fields.js';
import { problemJson } from '../format/problem-json.js';
import { fieldsOf } from '../format/spec.js';
import type { ErrorFormat } from '../format/types.js';
import {
  type DocMember,
  docMembers,
  entryProse,
  membersSentence,
  prosePathsOf,
  sampleValue,
} from './entry-prose.js';
import type { WsDocsOptions } from './websocket.js';

export type { DocMember };

/** Options shared by the reference renderers. */
export interface DocsOptions {
  /**
   * The wire format the example body is shown in.
   * @default commonFormats.problemJson (RFC 9457)
   */
  format?: ErrorFormat;
  /** The page title. @default the catalog's name, else "Error codes" */
  title?: string;
  /**
   * The date the page says it was generated on (YYYY-MM-DD).
   * @default today
   */
  date?: string;
  /**
   * Whether the standard codes faultline ships are listed too.
   * @default true
   */
  includeStandard?: boolean;
  /**
   * The code whose body the page shows as its example.
   * @default the code of the validation role when the page lists it, else the page's first code
   */
  example?: string;
  /** The WebSocket endpoint's limits, for the limits table of the WebSocket section. */
  websocket?: WsDocsOptions;
}

/** One row of a reference table. */
export interface DocEntry {
  code: string;
  id: number | undefined;
  status: number;
  category: string;
  message: string;
  description: string;
  cause: string | undefined;
  fix: string | undefined;
  retryable: boolean;
  deprecated: boolean | string | undefined;
  since: string | undefined;
  /** The docs URL of the code, also its RFC 9457 `type`. */
  url: string;
  /** The members the code adds at the top level of its body. */
  members: DocMember[];
}

/** A section of the reference page. */
export interface DocGroup {
  name: string;
  title: string;
  description: string | undefined;
  entries: DocEntry[];
  hasIds: boolean;
  hasCauses: boolean;
  hasFixes: boolean;
  /** False when every message of the group is its description: the page then shows one of them. */
  hasMessages: boolean;
}

/** One member of the error body: where the format puts a field, and what it means. */
export interface DocField {
  /** The member's path in the body, dotted: `error.code`. */
  path: string;
  field: ErrorField;
  description: string;
  /** Whether every error body holds the member. */
  always: boolean;
}

/** Everything a reference page shows, computed once from the catalog. */
export interface DocModel {
  title: string;
  date: string;
  codeCount: number;
  contentType: string;
  exampleBody: string;
  /** The members of the body, in body order, from the format's declaration and the field table. */
  fields: DocField[];
  statuses: { status: number; meaning: string; when: string }[];
  groups: DocGroup[];
  retryable: string[];
}

/** The text shown for a code without a description. */
export const noDescription = 'No additional description.';
const sampleCorrelationId = '550e8400-e29b-41d4-a716-446655440000';

function toDocEntry(entry: CatalogEntry, format: ErrorFormat, paths: ProsePaths): DocEntry {
  const prose = entryProse(entry, paths);
  const members = docMembers(entry, format);
  const carried = membersSentence(members);
  return {
    code: entry.code,
    id: entry.id,
    status: entry.status,
    category: entry.category,
    message: entry.message,
    description:
      prose.description === undefined
        ? (carried ?? noDescription)
        : carried === undefined
          ? prose.description
          : `${prose.description} ${carried}`,
    cause: entry.cause,
    fix: prose.fix,
    retryable: entry.retryable,
    deprecated: entry.deprecated,
    since: entry.since,
    url: entry.type,
    members,
  };
}

/** The body a format gives an entry's error, parsed: the examples of reference pages and OpenAPI. */
export function sampleBody(
  entry: CatalogEntry,
  format: ErrorFormat,
  options: ToApiErrorOptions = {},
): unknown {
  const error = toApiError(entry, undefined, { ...options, stack: false });
  const members = docMembers(entry, format);
  return JSON.parse(
    format.serialize({
      ...error.toJSON(),
      title: entry.title,
      ...(members.length > 0
        ? { members: Object.fromEntries(members.map((m) => [m.name, sampleValue(m.schema, m.name)])) }
        : {}),
    }),
  );
}

/** The members of a format's body, described by the field table. */
export function fieldsOfFormat(format: ErrorFormat): DocField[] {
  return fieldsOf(format.spec).map((placement) => ({
    path: placement.path.join('.'),
    field: placement.field,
    description: errorFields[placement.field].description,
    always: placement.always,
  }));
}

/** The columns of a group's table: optional ones only where some entry fills them. */
export function columnsOf(group: DocGroup): string[] {
  return [
    'Code',
    ...(group.hasIds ? ['ID'] : []),
    'HTTP',
    ...(group.hasMessages ? ['Message'] : []),
    'Description',
    ...(group.hasCauses ? ['Cause'] : []),
    ...(group.hasFixes ? ['Fix'] : []),
  ];
}

/**
 * The example body of a page: of the code asked for, else of the validation code when the page lists it,
 * else of the page's first code, so that the example is always an answer the API gives.
 */
function exampleOf(
  catalog: Catalog<any>,
  format: ErrorFormat,
  listed: readonly string[],
  chosen: string | undefined,
): string {
  if (chosen !== undefined && catalog.get(chosen) === undefined)
    throw new FaultlineConfigError('FAULTLINE_UNKNOWN_CODE', `example ${chosen}`);
  const validation: string = catalog.builtins.validationFailed;
  const code = chosen ?? (listed.includes(validation) || listed.length === 0 ? validation : listed[0]!);
  const entry = catalog.get(code)!;
  const body = sampleBody(entry, format, {
    correlationId: sampleCorrelationId,
    ...(entry.roles.includes('validationFailed')
      ? { fieldErrors: [{ pointer: '/email', detail: 'Invalid email address' }] }
      : {}),
  });
  return JSON.stringify(body, null, 2);
}

/** The statuses the API answers with, each with the standard meaning of its status. */
function statusesOf(catalog: Catalog<any>): DocModel['statuses'] {
  const answered = new Set(catalog.codes.map((code) => (catalog.entries[code] as CatalogEntry).status));
  const statuses: DocModel['statuses'] = [];
  for (const definition of Object.values(standardDefinitions)) {
    const { status } = definition;
    if (!answered.has(status) || statuses.some((s) => s.status === status)) continue;
    statuses.push({ status, meaning: reasonPhrase(status), when: definition.description });
  }
  return statuses.sort((a, b) => a.status - b.status);
}

/** The document model of a catalog's reference page. */
export function describeCatalog(catalog: Catalog<any>, options: DocsOptions = {}): DocModel {
  const format = options.format ?? problemJson;
  const paths = prosePathsOf(format);
  const includeStandard = options.includeStandard ?? true;
  const groups = new Map<string, DocGroup>();
  for (const group of catalog.groups) {
    if (group.name === 'http') continue;
    groups.set(group.name, {
      ...group,
      entries: [],
      hasIds: false,
      hasCauses: false,
      hasFixes: false,
      hasMessages: true,
    });
  }
  const other: DocGroup = {
    name: 'other',
    title: 'Other',
    description: undefined,
    entries: [],
    hasIds: false,
    hasCauses: false,
    hasFixes: false,
    hasMessages: true,
  };
  const standard: DocGroup = {
    name: 'http',
    title: 'Standard errors',
    description: 'Errors any endpoint may answer, raised by the server and its built-in mechanisms.',
    entries: [],
    hasIds: false,
    hasCauses: false,
    hasFixes: false,
    hasMessages: true,
  };
  let codeCount = 0;
  const retryable: string[] = [];
  for (const code of catalog.codes) {
    const entry = catalog.entries[code] as CatalogEntry;
    const isStandard = entry.group === 'http';
    if (isStandard && !includeStandard) continue;
    const group = isStandard
      ? standard
      : entry.group === undefined
        ? other
        : (groups.get(entry.group) ?? other);
    group.entries.push(toDocEntry(entry, format, paths));
    codeCount++;
    if (entry.retryable) retryable.push(code);
  }
  const ordered = [...groups.values(), other, standard].filter((g) => g.entries.length > 0);
  for (const group of ordered) {
    group.hasIds = group.entries.some((e) => e.id !== undefined);
    group.hasCauses = group.entries.some((e) => e.cause !== undefined);
    group.hasFixes = group.entries.some((e) => e.fix !== undefined);
    group.hasMessages = group.entries.some((e) => e.message !== e.description);
  }
  const listed = ordered.flatMap((group) => group.entries.map((e) => e.code));
  return {
    title: options.title ?? catalog.name ?? 'Error codes',
    date: options.date ?? new Date().toISOString().slice(0, 10),
    codeCount,
    contentType: format.contentType,
    exampleBody: exampleOf(catalog, format, listed, options.example),
    fields: fieldsOfFormat(format),
    statuses: statusesOf(catalog),
    groups: ordered,
    retryable,
  };
}
