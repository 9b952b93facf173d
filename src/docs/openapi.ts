import { roleHeaders } from '../catalog/standard.js';
import { reasonPhrase } from '../catalog/status.js';
import type { Catalog, CatalogEntry } from '../catalog/types.js';
import { errorFields } from '../format/fields.js';
import { problemJson } from '../format/problem-json.js';
import { compileSpec, isAlwaysPresent, type Node } from '../format/spec.js';
import type { ErrorFormat } from '../format/types.js';
import { docMembers, entryProse, prosePathsOf } from './entry-prose.js';
import { sampleBody } from './model.js';

/** Options of `renderOpenApi`. */
export interface OpenApiOptions {
  /** @default commonFormats.problemJson (RFC 9457) */
  format?: ErrorFormat;
  /** The title of a new document (not of one given as `into`). @default the catalog's name, else "API errors" */
  title?: string;
  /** The version of a new document (not of one given as `into`). @default '1.0.0' */
  version?: string;
  /**
   * An existing OpenAPI document to add the catalog's error responses to, rather than a new one: each
   * operation gets the codes listed for it (`operations` or its `x-error-codes`), else the standard set.
   * Responses the document already has for a status are kept. The document itself is not changed.
   */
  into?: Readonly<Record<string, unknown>>;
  /** With `into`: the codes each operation (by `operationId`) can answer. */
  operations?: Readonly<Record<string, readonly string[]>>;
}

type Schema = Record<string, unknown>;
type Document = Record<string, any>;

// The code is the one field whose values the catalog enumerates.
const codeSchema: Schema = { $ref: '#/components/schemas/ErrorCode' };

/** The schema of a declaration node: each field's from the field table; required where the format always writes. */
function schemaOf(node: Node): Schema {
  switch (node.kind) {
    case 'literal':
      return { const: node.value };
    case 'field': {
      const schema = node.field === 'code' ? codeSchema : errorFields[node.field].schema(node.options);
      const described = { ...schema, description: errorFields[node.field].description };
      return node.missing === 'null' ? { anyOf: [described, { type: 'null' }] } : described;
    }
    case 'first':
      return { anyOf: node.alternatives.map(schemaOf) };
    case 'object': {
      const required = node.members.filter((m) => isAlwaysPresent(m.node)).map((m) => m.key);
      return {
        type: 'object',
        properties: Object.fromEntries(node.members.map((m) => [m.key, schemaOf(m.node)])),
        ...(required.length > 0 ? { required } : {}),
      };
    }
  }
}

// The response headers of a status: those the built-in roles send (`roleHeaders`) and the entries' own.
function headersOf(entries: CatalogEntry[]): Document | undefined {
  const headers: Document = {};
  for (const entry of entries) {
    const documented = (entry.role && roleHeaders[entry.role]) || {};
    for (const [name, description] of Object.entries(documented)) {
      headers[name] ??= { description, schema: { type: name === 'Retry-After' ? 'integer' : 'string' } };
    }
    for (const name of Object.keys(entry.headers)) headers[name] ??= { schema: { type: 'string' } };
  }
  return Object.keys(headers).length > 0 ? headers : undefined;
}

/** Names of the body schemas of the codes that add members: `Error_<code>`, each distinct. */
type SchemaNames = ReadonlyMap<string, string>;

/**
 * The name of each member-adding code's body schema. A component name takes only `A-Za-z0-9_.-`, so two
 * codes can sanitize alike (`R<F`, `R>F`): the second gets a suffix rather than the first's schema.
 */
function memberSchemaNames(catalog: Catalog<any>, format: ErrorFormat): SchemaNames {
  const names = new Map<string, string>();
  const taken = new Set(['Error', 'ErrorCode']);
  const codes = catalog.codes.filter(
    (c) => docMembers(catalog.entries[c] as CatalogEntry, format).length > 0,
  );
  // Codes already valid as names claim theirs first, so a hostile code cannot move a legitimate one's.
  const clean = (code: string) => /^[A-Za-z0-9_.-]+$/.test(code);
  for (const code of [...codes.filter(clean), ...codes.filter((c) => !clean(c))]) {
    const base = `Error_${code.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base}_${n}`;
    taken.add(name);
    names.set(code, name);
  }
  return names;
}

/** True when a value holds a `$ref` member at any depth: tools would resolve it, though it is an example. */
function holdsRef(value: unknown, depth = 0): boolean {
  if (typeof value !== 'object' || value === null || depth > 64) return false;
  if (!Array.isArray(value) && Object.hasOwn(value, '$ref')) return true;
  return Object.values(value).some((v) => holdsRef(v, depth + 1));
}

/** The schema of a code's body: the envelope's, plus the members the code adds. */
function memberSchemaOf(entry: CatalogEntry, format: ErrorFormat): Schema {
  const members = docMembers(entry, format);
  const required = members.filter((m) => m.required).map((m) => m.name);
  return {
    description: `An error ${entry.code} in the ${format.name} format, with the members it adds.`,
    allOf: [
      { $ref: '#/components/schemas/Error' },
      {
        type: 'object',
        properties: Object.fromEntries(
          members.map((m) => [
            m.name,
            { description: `\`${m.field}\` of the error's details.`, ...m.schema },
          ]),
        ),
        ...(required.length > 0 ? { required } : {}),
      },
    ],
  };
}

/** The schema of a status's bodies: the envelope's, or any of those of its codes that add members. */
function bodySchemaOf(entries: CatalogEntry[], names: SchemaNames): Schema {
  const withMembers = entries.filter((e) => names.has(e.code));
  if (withMembers.length === 0) return { $ref: '#/components/schemas/Error' };
  const refs = withMembers.map((e) => ({ $ref: `#/components/schemas/${names.get(e.code)}` }));
  return {
    anyOf: withMembers.length === entries.length ? refs : [...refs, { $ref: '#/components/schemas/Error' }],
  };
}

function responseOf(
  entries: CatalogEntry[],
  status: number,
  format: ErrorFormat,
  names: SchemaNames,
): Document {
  const headers = headersOf(entries);
  const paths = prosePathsOf(format);
  const example = (e: CatalogEntry) => {
    const value = sampleBody(e, format);
    // A body with a member named `$ref` (or an example value holding one) would be read as a reference.
    return { summary: entryProse(e, paths).description ?? e.message, ...(holdsRef(value) ? {} : { value }) };
  };
  return {
    description: reasonPhrase(status),
    ...(headers ? { headers } : {}),
    content: {
      [format.contentType]: {
        schema: bodySchemaOf(entries, names),
        examples: Object.fromEntries(entries.map((e) => [e.code, example(e)])),
      },
    },
  };
}

/** Catalog entries by status, in ascending status order. */
function byStatus(catalog: Catalog<any>, codes?: readonly string[]): Map<number, CatalogEntry[]> {
  const map = new Map<number, CatalogEntry[]>();
  // A code listed twice is documented once, and each list grows in place: a long list stays linear.
  for (const code of new Set(codes ?? catalog.codes)) {
    const entry = catalog.get(code);
    if (!entry) continue;
    const same = map.get(entry.status);
    if (same) same.push(entry);
    else map.set(entry.status, [entry]);
  }
  return new Map([...map].sort(([a], [b]) => a - b));
}

/** The components every generated or merged document gets: the envelope schema, the code enum, a response per status. */
function components(catalog: Catalog<any>, format: ErrorFormat, names: SchemaNames): Document {
  return {
    schemas: {
      ErrorCode: { type: 'string', enum: [...catalog.codes] },
      Error: { ...schemaOf(compileSpec(format.spec)), description: `An error in the ${format.name} format.` },
      ...Object.fromEntries(
        [...names].map(([code, name]) => [
          name,
          memberSchemaOf(catalog.entries[code] as CatalogEntry, format),
        ]),
      ),
    },
    responses: Object.fromEntries(
      [...byStatus(catalog)].map(([status, entries]) => [
        `Error${status}`,
        responseOf(entries, status, format, names),
      ]),
    ),
  };
}

/**
 * Renders an OpenAPI 3.1 document of a catalog: the envelope schema with the `code` enum, an example per
 * code and a reusable response per status (`#/components/responses/Error404`, …). With `into`, adds
 * them to the operations of an existing document instead.
 * @example
 * writeFileSync('openapi.errors.json', JSON.stringify(renderOpenApi(errors), null, 2));
 * const api = renderOpenApi(errors, { into: myOpenApi, operations: { getSession: ['SESSION_NOT_FOUND'] } });
 */
export function renderOpenApi(catalog: Catalog<any>, options: OpenApiOptions = {}): Document {
  const format = options.format ?? problemJson;
  if (options.into) return mergeInto(options.into, catalog, format, options.operations);
  return {
    openapi: '3.1.0',
    info: { title: options.title ?? catalog.name ?? 'API errors', version: options.version ?? '1.0.0' },
    paths: {},
    components: components(catalog, format, memberSchemaNames(catalog, format)),
  };
}

const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** The codes an operation gets when nothing lists its own: the built-in ones any route can answer. */
function standardSet(catalog: Catalog<any>, hasBody: boolean): string[] {
  const b = catalog.builtins;
  return hasBody
    ? [
        b.validationFailed,
        b.malformedJson,
        b.bodyTooLarge,
        b.unsupportedMediaType,
        b.notFound,
        b.rateLimited,
        b.internalError,
      ]
    : [b.validationFailed, b.notFound, b.rateLimited, b.internalError];
}

/** A copy of `document` with the catalog's error responses added to every operation (`renderOpenApi`'s `into`). */
function mergeInto(
  document: Readonly<Record<string, unknown>>,
  catalog: Catalog<any>,
  format: ErrorFormat,
  operations: OpenApiOptions['operations'],
): Document {
  const object = (value: unknown) => typeof value === 'object' && value !== null && !Array.isArray(value);
  const parts = [document.paths, (document.components as Document | undefined)?.schemas];
  parts.push(document.components, (document.components as Document | undefined)?.responses);
  if (!object(document) || parts.some((part) => part !== undefined && !object(part))) {
    throw new TypeError(
      'renderOpenApi: `into` must be an OpenAPI document whose paths, components, schemas and responses are objects',
    );
  }
  const merged: Document = structuredClone(document);
  const names = memberSchemaNames(catalog, format);
  const generated = components(catalog, format, names);
  merged.components ??= {};
  merged.components.schemas = { ...generated.schemas, ...merged.components.schemas };
  merged.components.responses ??= {};
  // Names of responses already in the document or given out here: two operations whose ids or paths
  // sanitize alike (`/a/b`, `/a_b`) each get their own, and none of the user's is replaced.
  const taken = new Set(Object.keys(merged.components.responses));
  for (const [path, item] of Object.entries<Document>(merged.paths ?? {})) {
    for (const method of methods) {
      const operation = item?.[method] as Document | undefined;
      if (!operation) continue;
      const id = typeof operation.operationId === 'string' ? operation.operationId : undefined;
      // Own keys only: an operation named `toString` has no entry in `operations` but its x-error-codes.
      const own =
        id !== undefined && operations && Object.hasOwn(operations, id) ? operations[id] : undefined;
      const listed = own ?? operation['x-error-codes'];
      const codes: string[] = Array.isArray(listed)
        ? listed
        : standardSet(catalog, operation.requestBody !== undefined);
      // A copy: operations built in code often share one `responses` object, which the clone keeps shared.
      operation.responses = { ...operation.responses };
      for (const [status, entries] of byStatus(catalog, codes)) {
        if (operation.responses[String(status)]) continue;
        const base = `Error${status}_${(id ?? `${method}${path}`).replace(/[^A-Za-z0-9_.-]/g, '_')}`;
        let name = base;
        for (let n = 2; taken.has(name); n++) name = `${base}_${n}`;
        taken.add(name);
        merged.components.responses[name] = responseOf(entries, status, format, names);
        operation.responses[String(status)] = { $ref: `#/components/responses/${name}` };
      }
    }
  }
  return merged;
}
