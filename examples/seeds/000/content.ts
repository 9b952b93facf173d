/**
 * What a project holds besides its conversations, chats and deployments: the knowledge base (topics, rich
 * text, CSV imports), connectors' phone numbers, variants, the real-time configuration and test runs.
 */
import { errors } from './catalog.js';
import { csvTable } from './csv.js';
import { agentReply } from './domain.js';
import { schemaProblems, valueProblems } from './json-schema.js';
import { ensureRoom } from './limits.js';
import {
  type Draft,
  type Environment,
  environments,
  type PhoneNumber,
  type Project,
  type TestCase,
  type Variant,
} from './model.js';

const e164 = /^\+[1-9]\d{6,14}$/;

// Knowledge base

export function addTopic(project: Project, name: string, content: string): { name: string } {
  if (project.topics.has(name)) throw errors.create('KNOWLEDGE_BASE_TOPIC_ALREADY_EXISTS');
  checkRichText(project, content);
  ensureRoom('project', 'knowledge-base topics', project.topics.size, 1, project.limits.perProject);
  project.topics.set(name, { name, content });
  return { name };
}

export function importTopics(project: Project, csv: string): { imported: number } {
  const table = csvTable(csv, ['topic', 'content']);
  if ('problem' in table) {
    if (table.problem === 'empty') throw errors.create('KNOWLEDGE_BASE_IMPORT_NO_CSV_FOUND');
    throw errors.create('KNOWLEDGE_BASE_IMPORT_MISSING_COLUMNS');
  }
  const topic = table.columns.indexOf('topic');
  const content = table.columns.indexOf('content');
  const rows = new Map<string, string>();
  let imported = 0;
  for (const cells of table.rows) {
    const name = cells[topic]?.trim();
    if (!name) continue;
    rows.set(name, cells[content]?.trim() ?? '');
    imported++;
  }
  // All or nothing: an import that would take the project past its topic limit stores none of its rows.
  let added = 0;
  for (const name of rows.keys()) if (!project.topics.has(name)) added++;
  ensureRoom('project', 'knowledge-base topics', project.topics.size, added, project.limits.perProject);
  for (const [name, text] of rows) project.topics.set(name, { name, content: text });
  return { imported };
}

/**
 * Rich text allows `<b>`, `<i>`, `<a>` balanced, and `{{topic:name}}` references to existing topics. Both
 * are read by one left-to-right scan each that never looks at a character twice: a regex such as
 * `<([a-z]+)[^>]*>` retries its tail from every `<`, which is quadratic on a body of `<a` without `>`.
 */
export function checkRichText(project: Pick<Project, 'topics'>, content: string): void {
  const invalid = () => errors.create('KNOWLEDGE_BASE_RICH_TEXT_INVALID');
  const open: string[] = [];
  for (const { closing, tag } of tagsOf(content)) {
    if (tag !== 'b' && tag !== 'i' && tag !== 'a') throw invalid();
    if (!closing) open.push(tag);
    else if (open.pop() !== tag) throw invalid();
  }
  if (open.length > 0) throw invalid();
  for (const ref of topicRefsOf(content)) if (!project.topics.has(ref)) throw invalid();
}

const isLower = (code: number) => code >= 0x61 && code <= 0x7a;

/** The tags `<tag …>` and `</tag …>` of `text`, as `/<(\/?)([a-z]+)[^>]*>/g` finds them, in linear time. */
export function* tagsOf(text: string): Generator<{ closing: boolean; tag: string }> {
  let at = 0;
  for (;;) {
    const lt = text.indexOf('<', at);
    if (lt === -1) return;
    const closing = text[lt + 1] === '/';
    const from = closing ? lt + 2 : lt + 1;
    let end = from;
    while (end < text.length && isLower(text.charCodeAt(end))) end++;
    if (end === from) {
      at = lt + 1;
      continue;
    }
    const gt = text.indexOf('>', end);
    // No `>` after this tag means none after any later `<` either: nothing more is a tag.
    if (gt === -1) return;
    yield { closing, tag: text.slice(from, end) };
    at = gt + 1;
  }
}

/** The names of `{{topic:name}}` in `text`, as `/\{\{topic:([^}]*)\}\}/g` finds them, in linear time. */
export function* topicRefsOf(text: string): Generator<string> {
  const open = '{{topic:';
  let at = 0;
  // The first `}` at or after the current name's start; reused while it is still ahead, so that a run of
  // `{{topic:` without `}}` scans the text once, not once per opening.
  let brace = -1;
  for (;;) {
    const start = text.indexOf(open, at);
    if (start === -1) return;
    const from = start + open.length;
    if (brace < from) brace = text.indexOf('}', from);
    if (brace === -1) return;
    if (text[brace + 1] === '}') {
      yield text.slice(from, brace);
      at = brace + 2;
    } else at = start + 1;
  }
}

// Connectors and phone numbers

export function importNumber(project: Project, number: string, connector: string): PhoneNumber {
  if (!e164.test(number)) throw errors.create('PHONE_NUMBERS_INVALID_PHONE_NUMBER_FORMAT');
  if (project.phoneNumbers.rows.has(number)) throw errors.create('PHONE_NUMBERS_ALREADY_EXISTS');
  if (!project.connectors.rows.has(connector)) throw errors.create('PHONE_NUMBERS_CONNECTOR_DOES_NOT_EXIST');
  return project.phoneNumbers.insert({ id: number, project: project.id, connector });
}

// Variants

/** Why `attributes` do not fit the project's attribute schema, or `undefined` when they do. */
function attributeProblem(project: Project, attributes: Record<string, string>): string | undefined {
  for (const [key, value] of Object.entries(attributes)) {
    if (!Object.hasOwn(project.variantAttributes, key)) return `\`${key}\` is not a variant attribute`;
    if (!project.variantAttributes[key]!.includes(value)) return `\`${value}\` is not a value of \`${key}\``;
  }
  return undefined;
}

export function createVariant(project: Project, name: string, attributes: Record<string, string>): Variant {
  if (project.variantNames.has(name)) throw errors.create('VARIANTS_DUPLICATE_NAME_ERROR');
  const problem = attributeProblem(project, attributes);
  if (problem) throw errors.create('VARIANTS_BAD_ATTRIBUTES_ERROR', undefined, { cause: new Error(problem) });
  const variant = project.variants.insert({
    id: project.variants.newId(),
    project: project.id,
    name,
    attributes,
    isDefault: project.variants.rows.size === 0,
  });
  project.variantNames.add(name);
  return variant;
}

export function removeVariant(project: Project, id: string): void {
  const variant = project.variants.get(id);
  if (variant.isDefault) throw errors.create('VARIANTS_REMOVE_DEFAULT_ERROR');
  project.variants.delete(id);
  project.variantNames.delete(variant.name);
}

/**
 * Imports variants from a CSV with a `name` column and one column per attribute (an empty cell leaves
 * the attribute unset). All rows are checked before any is stored: one bad row stores nothing.
 */
export function importVariants(project: Project, csv: string): { imported: number; variants: Variant[] } {
  const table = csvTable(csv, ['name']);
  if ('problem' in table) {
    if (table.problem === 'delimiter') throw errors.create('VariantsImportInvalidDelimiter');
    if (table.problem === 'duplicate') throw errors.create('VariantImportDuplicateColumnsHttp');
    throw errors.create('VariantImportMissingColumnsHttp');
  }
  if (table.rows.length > 1000)
    throw errors.create('VARIANTS_BAD_ATTRIBUTES_ERROR', undefined, {
      cause: new Error('more than 1000 rows'),
    });
  ensureRoom('project', 'variants', project.variants.rows.size, table.rows.length, project.limits.perProject);
  // The names of this import; the project's own are in its index, so no row scans the variants.
  const names = new Set<string>();
  const rows: { name: string; attributes: Record<string, string> }[] = [];
  const nameColumn = table.columns.indexOf('name');
  table.rows.forEach((cells, index) => {
    const name = cells[nameColumn]?.trim() ?? '';
    // No prototype: a `__proto__` column is then an attribute like any other, refused as unknown, where a
    // plain object would take it for its prototype and drop it without a word.
    const attributes: Record<string, string> = Object.create(null);
    // A row reads its own cells only: a short row under a wide header costs its length, not the header's.
    const width = Math.min(cells.length, table.columns.length);
    for (let i = 0; i < width; i++) {
      const value = cells[i]!.trim();
      if (i !== nameColumn && value !== '') attributes[table.columns[i]!] = value;
    }
    const problem =
      name === '' || name.length > 100
        ? 'a variant needs a name of 1 to 100 characters'
        : attributeProblem(project, attributes);
    if (problem)
      throw errors.create('VARIANTS_BAD_ATTRIBUTES_ERROR', undefined, {
        cause: new Error(`row ${index + 2}: ${problem}`),
      });
    if (names.has(name) || project.variantNames.has(name))
      throw errors.create('VARIANTS_DUPLICATE_NAME_ERROR');
    names.add(name);
    rows.push({ name, attributes });
  });
  const variants = rows.map(({ name, attributes }) => createVariant(project, name, attributes));
  return { imported: variants.length, variants };
}

// Real-time configuration

export function setRealtimeSchema(project: Project, schema: unknown): void {
  const problems = schemaProblems(schema);
  if (problems.length > 0)
    throw errors.create('REAL_TIME_CONFIG_INVALID_SCHEMA', undefined, {
      cause: new Error(problems.join('; ')),
    });
  project.realtime.schema = schema as Record<string, unknown>;
}

export function setRealtimeValues(project: Project, environment: string | null, values: unknown): void {
  if (!environments.includes(environment as Environment))
    throw errors.create('REAL_TIME_CONFIG_UNKNOWN_CLIENT_ENVIRONMENT');
  const problems = valueProblems(project.realtime.schema ?? {}, values);
  if (problems.length > 0)
    throw errors.create('REAL_TIME_CONFIG_INVALID_FOR_SCHEMA', undefined, { fieldErrors: problems });
  project.realtime.values[environment as Environment] = values;
}

// Test suite

/** Adds or replaces a test case. */
export function addTestCase(project: Project, testCase: TestCase): TestCase {
  if (!project.testCases.has(testCase.id))
    ensureRoom('project', 'test cases', project.testCases.size, 1, project.limits.perProject);
  project.testCases.set(testCase.id, { ...testCase });
  return testCase;
}

/** One test case's outcome: the agent's reply, and whether it contains what the case expects. */
export interface TestResult {
  readonly id: string;
  readonly passed: boolean;
  readonly reply: string;
}

/**
 * Runs test cases (all, or those named) against a draft, as a chat would run it: the draft must
 * auto-deploy, and each case's message gets the agent's reply.
 */
export function runTests(
  project: Project,
  ids: readonly string[] | undefined,
  draft: (project: Project) => Draft,
): { ran: number; passed: number; failed: number; draftId: string; results: TestResult[] } {
  if (project.testCases.size === 0) throw errors.create('NoTestCasesHttp');
  const missing = (ids ?? []).filter((id) => !project.testCases.has(id));
  if (missing.length > 0) throw errors.create('MissingTestCasesHttp');
  const cases = ids
    ? [...new Set(ids)].map((id) => project.testCases.get(id)!)
    : [...project.testCases.values()];
  const { id: draftId } = draft(project);
  const results = cases.map(({ id, say, expect }) => {
    const { reply } = agentReply(say);
    return { id, passed: reply.includes(expect), reply };
  });
  const passed = results.filter((r) => r.passed).length;
  return { ran: results.length, passed, failed: results.length - passed, draftId, results };
}
