/**
 * What a project holds besides its conversations, chats and deployments: the knowledge base (topics, rich
 * text, CSV imports), connectors' phone numbers, variants, the real-time configuration and test runs.
 */
import { errors } from './catalog.js';
import { csvHeader } from './csv.js';
import { schemaProblems, valueProblems } from './json-schema.js';
import { type Environment, environments, type PhoneNumber, type Project, type Variant } from './model.js';

const e164 = /^\+[1-9]\d{6,14}$/;

// Knowledge base

export function addTopic(project: Project, name: string, content: string): { name: string } {
  if (project.topics.has(name)) throw errors.create('KNOWLEDGE_BASE_TOPIC_ALREADY_EXISTS');
  checkRichText(project, content);
  project.topics.set(name, { name, content });
  return { name };
}

export function importTopics(project: Project, csv: string): { imported: number } {
  const header = csvHeader(csv, ['topic', 'content']);
  if ('problem' in header) {
    if (header.problem === 'empty') throw errors.create('KNOWLEDGE_BASE_IMPORT_NO_CSV_FOUND');
    throw errors.create('KNOWLEDGE_BASE_IMPORT_MISSING_COLUMNS');
  }
  const topic = header.columns.indexOf('topic');
  const content = header.columns.indexOf('content');
  let imported = 0;
  for (const line of csv.split(/\r?\n/).slice(1)) {
    const cells = line.split(',');
    const name = cells[topic]?.trim();
    if (!name) continue;
    project.topics.set(name, { name, content: cells[content]?.trim() ?? '' });
    imported++;
  }
  return { imported };
}

/** Rich text allows `<b>`, `<i>`, `<a>` balanced, and `{{topic:name}}` references to existing topics. */
function checkRichText(project: Project, content: string): void {
  const open: string[] = [];
  for (const [, closing, tag] of content.matchAll(/<(\/?)([a-z]+)[^>]*>/g)) {
    if (!['b', 'i', 'a'].includes(tag!)) throw errors.create('KNOWLEDGE_BASE_RICH_TEXT_INVALID');
    if (closing === '') open.push(tag!);
    else if (open.pop() !== tag) throw errors.create('KNOWLEDGE_BASE_RICH_TEXT_INVALID');
  }
  if (open.length > 0) throw errors.create('KNOWLEDGE_BASE_RICH_TEXT_INVALID');
  for (const [, ref] of content.matchAll(/\{\{topic:([^}]*)\}\}/g))
    if (!project.topics.has(ref!)) throw errors.create('KNOWLEDGE_BASE_RICH_TEXT_INVALID');
}

// Connectors and phone numbers

export function importNumber(project: Project, number: string, connector: string): PhoneNumber {
  if (!e164.test(number)) throw errors.create('PHONE_NUMBERS_INVALID_PHONE_NUMBER_FORMAT');
  if (project.phoneNumbers.rows.has(number)) throw errors.create('PHONE_NUMBERS_ALREADY_EXISTS');
  if (!project.connectors.rows.has(connector)) throw errors.create('PHONE_NUMBERS_CONNECTOR_DOES_NOT_EXIST');
  return project.phoneNumbers.insert({ id: number, project: project.id, connector });
}

// Variants

export function createVariant(project: Project, name: string, attributes: Record<string, string>): Variant {
  if (project.variants.find((v) => v.name === name)) throw errors.create('VARIANTS_DUPLICATE_NAME_ERROR');
  for (const [key, value] of Object.entries(attributes)) {
    const allowed = project.variantAttributes[key];
    if (!allowed?.includes(value)) throw errors.create('VARIANTS_BAD_ATTRIBUTES_ERROR');
  }
  const isDefault = project.variants.rows.size === 0;
  return project.variants.insert({
    id: project.variants.newId(),
    project: project.id,
    name,
    attributes,
    isDefault,
  });
}

export function removeVariant(project: Project, id: string): void {
  const variant = project.variants.get(id);
  if (variant.isDefault) throw errors.create('VARIANTS_REMOVE_DEFAULT_ERROR');
  project.variants.delete(id);
}

export function importVariants(_project: Project, csv: string): { imported: number } {
  const header = csvHeader(csv, ['name']);
  if ('problem' in header) {
    if (header.problem === 'delimiter') throw errors.create('VariantsImportInvalidDelimiter');
    if (header.problem === 'duplicate') throw errors.create('VariantImportDuplicateColumnsHttp');
    throw errors.create('VariantImportMissingColumnsHttp');
  }
  return { imported: header.rows };
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

export function runTests(project: Project, ids: readonly string[] | undefined): { ran: number } {
  if (project.testCases.size === 0) throw errors.create('NoTestCasesHttp');
  const missing = (ids ?? []).filter((id) => !project.testCases.has(id));
  if (missing.length > 0) throw errors.create('MissingTestCasesHttp');
  return { ran: ids?.length ?? project.testCases.size };
}
