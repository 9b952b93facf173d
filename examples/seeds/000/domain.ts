/**
 * The platform's in-memory state: accounts, projects and what a project holds (conversations, chats,
 * drafts, deployments, flows, functions, knowledge base, phone numbers, connectors, variants, real-time
 * configuration, SMS templates, test cases). Each rule raises the page's code for its failure.
 */
import type { Clock } from '../shared/run.js';
import { errors } from './catalog.js';
import { csvHeader } from './csv.js';
import { deploymentProblems, execute, parseError } from './functions.js';
import { schemaProblems, valueProblems } from './json-schema.js';
import { Table } from './store.js';

export const environments = ['sandbox', 'pre-release', 'live'] as const;
export type Environment = (typeof environments)[number];

const reservedFunctionNames = new Set(['start', 'end', 'main', 'transfer', 'hangup']);
const reservedParameterNames = new Set(['conversation', 'state', 'context', 'env']);
const accountId = /^[a-z0-9]{3,32}$/;
const projectId = /^[a-z][a-z0-9-]{2,40}$/;
const e164 = /^\+[1-9]\d{6,14}$/;

export interface Conversation {
  id: string;
  project: string;
  channel: string;
  startedAt: number;
  recording?: string;
}
export interface Chat {
  id: string;
  project: string;
  draft: string;
  lastActivity: number;
  ended: boolean;
  messages: { from: 'user' | 'agent'; text: string }[];
}
export interface Draft {
  id: string;
  project: string;
  functions: string[];
}
export interface Deployment {
  id: string;
  project: string;
  draft: string;
  version: string;
  environment: Environment;
}
export interface Flow {
  id: string;
  project: string;
  name: string;
  parameters: string[];
  functions: string[];
}
export interface Fn {
  id: string;
  project: string;
  name: string;
  code: string;
}
export interface Connector {
  id: string;
  project: string;
  name: string;
  url: string;
}
export interface PhoneNumber {
  id: string;
  project: string;
  connector: string;
}
export interface Variant {
  id: string;
  project: string;
  name: string;
  attributes: Record<string, string>;
  isDefault: boolean;
}

export interface Project {
  id: string;
  account: string;
  conversations: Table<Conversation>;
  chats: Table<Chat>;
  drafts: Table<Draft>;
  deployments: Table<Deployment>;
  flows: Table<Flow>;
  functions: Table<Fn>;
  topics: Map<string, { name: string; content: string }>;
  connectors: Table<Connector>;
  phoneNumbers: Table<PhoneNumber>;
  variants: Table<Variant>;
  /** The attribute names variants must fill, with their allowed values. */
  variantAttributes: Record<string, readonly string[]>;
  realtime: { schema: Record<string, unknown> | undefined; values: Partial<Record<Environment, unknown>> };
  smsTemplates: Table<{ id: string; body: string }>;
  testCases: Set<string>;
}

/** Options of the domain. */
export interface PlatformOptions {
  /** A chat idles out after this long without a message. @default 10 minutes */
  chatTimeoutMs?: number;
}

const similar = (a: string, b: string) => {
  if (a === b) return true;
  if (Math.abs(a.length - b.length) > 1) return false;
  // One edit apart: a substitution, insertion or deletion.
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return a.slice(i + 1) === b.slice(i + 1) || a.slice(i) === b.slice(i + 1) || a.slice(i + 1) === b.slice(i);
};

export class Platform {
  readonly accounts = new Map<string, { id: string }>();
  readonly projects = new Table<Project>(() => errors.create('PROJECT_NOT_FOUND'));
  readonly #chatTimeout: number;

  constructor(
    private readonly clock: Clock,
    options: PlatformOptions = {},
  ) {
    this.#chatTimeout = options.chatTimeoutMs ?? 10 * 60_000;
  }

  // Accounts and projects

  createAccount(id: string): { id: string } {
    if (this.accounts.has(id)) throw errors.create('ACCOUNT_CREATE_EXISTING_ID');
    if (!accountId.test(id) || [...this.accounts.keys()].some((other) => similar(other, id)))
      throw errors.create('ACCOUNT_CREATE_INVALID_ID');
    const account = { id };
    this.accounts.set(id, account);
    return account;
  }

  account(id: string): { id: string } {
    const account = this.accounts.get(id);
    if (!account) throw errors.create('ACCOUNT_NOT_FOUND');
    return account;
  }

  createProject(account: string, id: string): Project {
    this.account(account);
    if (!projectId.test(id)) throw errors.create('PROJECT_ID_INVALID');
    if (this.projects.rows.has(id)) throw errors.create('PROJECT_ID_ALREADY_EXISTS');
    return this.projects.insert({
      id,
      account,
      conversations: new Table(() => errors.create('CONVERSATIONS_NOT_FOUND'), 'conv_'),
      chats: new Table(() => errors.create('CHAT_DRAFT_NOT_EXIST'), 'chat_'),
      drafts: new Table(() => errors.create('CHAT_DRAFT_NOT_EXIST'), 'draft_'),
      deployments: new Table(() => errors.create('DEPLOYMENT_NOT_FOUND'), 'dep_'),
      flows: new Table(() => errors.create('FLOW_NOT_FOUND'), 'flow_'),
      functions: new Table(() => errors.create('FUNCTION_NOT_FOUND'), 'fn_'),
      topics: new Map(),
      connectors: new Table(() => errors.create('CONNECTORS_NOT_FOUND'), 'con_'),
      phoneNumbers: new Table(() => errors.create('PHONE_NUMBERS_NOT_FOUND')),
      variants: new Table(() => errors.create('VARIANTS_BAD_ATTRIBUTES_ERROR'), 'var_'),
      variantAttributes: { language: ['en', 'fr', 'de'], tone: ['formal', 'casual'] },
      realtime: { schema: undefined, values: {} },
      smsTemplates: new Table(() => errors.create('SMS_TEMPLATE_NOT_FOUND'), 'sms_'),
      testCases: new Set(),
    });
  }

  // Conversations

  recordConversation(project: Project, channel: string, recording?: string): Conversation {
    return project.conversations.insert({
      id: project.conversations.newId(),
      project: project.id,
      channel,
      startedAt: this.clock.now(),
      ...(recording === undefined ? {} : { recording }),
    });
  }

  recording(project: Project, id: string): string {
    const conversation = project.conversations.get(id);
    if (conversation.recording === undefined) throw errors.create('CONVERSATIONS_RECORDING_NOT_FOUND');
    return conversation.recording;
  }

  // Chats: a chat runs a draft, deployed on the fly to the sandbox.

  createDraft(project: Project, functions: readonly string[]): Draft {
    for (const id of functions) project.functions.get(id);
    return project.drafts.insert({
      id: project.drafts.newId(),
      project: project.id,
      functions: [...functions],
    });
  }

  startChat(project: Project, draftId: string): Chat {
    const draft = project.drafts.get(draftId);
    for (const fnId of draft.functions) {
      const fn = project.functions.get(fnId);
      if (deploymentProblems(fn.code).length > 0)
        throw errors.create('CHAT_DRAFT_DEPLOYMENT_FAILED', undefined, {
          cause: new Error(`function ${fn.name}: ${deploymentProblems(fn.code).join('; ')}`),
        });
    }
    return project.chats.insert({
      id: project.chats.newId(),
      project: project.id,
      draft: draft.id,
      lastActivity: this.clock.now(),
      ended: false,
      messages: [],
    });
  }

  /** The chat a message goes to: open and within its idle timeout. */
  openChat(project: Project, id: string): Chat {
    const chat = project.chats.rows.get(id);
    if (!chat) throw errors.create('CONVERSATIONS_NOT_FOUND');
    if (chat.ended) throw errors.create('ChatConversationEnded');
    if (this.clock.now() - chat.lastActivity > this.#chatTimeout) {
      chat.ended = true;
      throw errors.create('CHAT_TIMEOUT');
    }
    return chat;
  }

  say(project: Project, id: string, text: string): { reply: string; ended: boolean } {
    const chat = this.openChat(project, id);
    chat.lastActivity = this.clock.now();
    chat.messages.push({ from: 'user', text });
    const ended = /\b(bye|goodbye)\b/i.test(text);
    const reply = ended ? 'Goodbye!' : `You said: ${text}`;
    chat.messages.push({ from: 'agent', text: reply });
    if (ended) chat.ended = true;
    return { reply, ended };
  }

  // Deployments: sandbox → pre-release → live, one version per environment.

  deploy(project: Project, environment: Environment, draftId: string, version: string): Deployment {
    project.drafts.get(draftId);
    const current = project.deployments.find((d) => d.environment === environment && d.draft === draftId);
    if (current && current.version === version)
      throw errors.create('DEPLOYMENTS_ENVIRONMENT_ALREADY_PUBLISHED');
    if (current) throw errors.create('DEPLOYMENTS_ALREADY_PUBLISHED');
    if (
      environment === 'live' &&
      !project.deployments.find((d) => d.environment === 'pre-release' && d.draft === draftId)
    )
      throw errors.create('ErrPreReleaseNotReady');
    return project.deployments.insert({
      id: project.deployments.newId(),
      project: project.id,
      draft: draftId,
      version,
      environment,
    });
  }

  // Flows and functions

  createFlow(project: Project, name: string, parameters: readonly string[]): Flow {
    if (project.flows.find((f) => f.name === name)) throw errors.create('FLOWS_NAME_ALREADY_EXISTS');
    if (parameters.some((p) => reservedParameterNames.has(p)))
      throw errors.create('FLOWS_RESERVED_PARAMETER_NAME');
    return project.flows.insert({
      id: project.flows.newId(),
      project: project.id,
      name,
      parameters: [...parameters],
      functions: [],
    });
  }

  addFlowFunction(project: Project, flowId: string, name: string): Flow {
    const flow = project.flows.get(flowId);
    if (reservedFunctionNames.has(name)) throw errors.create('FLOWS_RESERVED_FUNCTION_NAME');
    if (flow.functions.includes(name)) throw errors.create('FLOWS_FUNCTION_NAME_ALREADY_EXISTS');
    flow.functions.push(name);
    return flow;
  }

  createFunction(project: Project, name: string, code: string): Fn {
    if (reservedFunctionNames.has(name)) throw errors.create('FUNCTIONS_RESERVED_NAME');
    if (project.functions.find((f) => f.name === name)) throw errors.create('FUNCTION_NAME_ALREADY_EXISTS');
    const syntax = parseError(code);
    if (syntax !== undefined)
      throw errors.create('FUNCTION_FAILED_TO_PARSE', undefined, { cause: new Error(syntax) });
    return project.functions.insert({ id: project.functions.newId(), project: project.id, name, code });
  }

  checkFunction(project: Project, id: string): { deployable: true } {
    const fn = project.functions.get(id);
    const problems = deploymentProblems(fn.code);
    if (problems.length > 0)
      throw errors.create('FUNCTIONS_DEPLOYMENT_HAS_ERRORS', undefined, {
        cause: new Error(problems.join('; ')),
      });
    return { deployable: true };
  }

  runFunction(project: Project, id: string, input: unknown): unknown {
    const fn = project.functions.get(id);
    try {
      return execute(fn.code, input);
    } catch (error) {
      throw errors.create('FUNCTION_EXECUTION_FAILED', undefined, { cause: error });
    }
  }

  // Knowledge base

  addTopic(project: Project, name: string, content: string): { name: string } {
    if (project.topics.has(name)) throw errors.create('KNOWLEDGE_BASE_TOPIC_ALREADY_EXISTS');
    this.#checkRichText(project, content);
    project.topics.set(name, { name, content });
    return { name };
  }

  importTopics(project: Project, csv: string): { imported: number } {
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
  #checkRichText(project: Project, content: string): void {
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

  importNumber(project: Project, number: string, connector: string): PhoneNumber {
    if (!e164.test(number)) throw errors.create('PHONE_NUMBERS_INVALID_PHONE_NUMBER_FORMAT');
    if (project.phoneNumbers.rows.has(number)) throw errors.create('PHONE_NUMBERS_ALREADY_EXISTS');
    if (!project.connectors.rows.has(connector))
      throw errors.create('PHONE_NUMBERS_CONNECTOR_DOES_NOT_EXIST');
    return project.phoneNumbers.insert({ id: number, project: project.id, connector });
  }

  // Variants

  createVariant(project: Project, name: string, attributes: Record<string, string>): Variant {
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

  removeVariant(project: Project, id: string): void {
    const variant = project.variants.get(id);
    if (variant.isDefault) throw errors.create('VARIANTS_REMOVE_DEFAULT_ERROR');
    project.variants.delete(id);
  }

  importVariants(_project: Project, csv: string): { imported: number } {
    const header = csvHeader(csv, ['name']);
    if ('problem' in header) {
      if (header.problem === 'delimiter') throw errors.create('VariantsImportInvalidDelimiter');
      if (header.problem === 'duplicate') throw errors.create('VariantImportDuplicateColumnsHttp');
      throw errors.create('VariantImportMissingColumnsHttp');
    }
    return { imported: header.rows };
  }

  // Real-time configuration

  setRealtimeSchema(project: Project, schema: unknown): void {
    const problems = schemaProblems(schema);
    if (problems.length > 0)
      throw errors.create('REAL_TIME_CONFIG_INVALID_SCHEMA', undefined, {
        cause: new Error(problems.join('; ')),
      });
    project.realtime.schema = schema as Record<string, unknown>;
  }

  setRealtimeValues(project: Project, environment: string | null, values: unknown): void {
    if (!environments.includes(environment as Environment))
      throw errors.create('REAL_TIME_CONFIG_UNKNOWN_CLIENT_ENVIRONMENT');
    const problems = valueProblems(project.realtime.schema ?? {}, values);
    if (problems.length > 0)
      throw errors.create('REAL_TIME_CONFIG_INVALID_FOR_SCHEMA', undefined, { fieldErrors: problems });
    project.realtime.values[environment as Environment] = values;
  }

  // Test suite

  runTests(project: Project, ids: readonly string[] | undefined): { ran: number } {
    if (project.testCases.size === 0) throw errors.create('NoTestCasesHttp');
    const missing = (ids ?? []).filter((id) => !project.testCases.has(id));
    if (missing.length > 0) throw errors.create('MissingTestCasesHttp');
    return { ran: ids?.length ?? project.testCases.size };
  }
}
