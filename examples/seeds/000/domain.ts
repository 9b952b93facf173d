/**
 * The platform's in-memory state: accounts and projects, their conversations, chats, drafts,
 * deployments, flows and functions (the rest of a project is in content.ts). Each rule raises the
 * page's code for its failure.
 */
import type { Clock } from '../shared/run.js';
import { errors } from './catalog.js';
import { deploymentProblems, execute, parseError } from './functions.js';
import type { Chat, Conversation, Deployment, Draft, Environment, Flow, Fn, Project } from './model.js';
import { Table } from './store.js';

export { type Environment, environments } from './model.js';

const reservedFunctionNames = new Set(['start', 'end', 'main', 'transfer', 'hangup']);
const reservedParameterNames = new Set(['conversation', 'state', 'context', 'env']);
const accountId = /^[a-z0-9]{3,32}$/;
const projectId = /^[a-z][a-z0-9-]{2,40}$/;

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
}
