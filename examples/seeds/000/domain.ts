/**
 * The platform's in-memory state: accounts and projects, their conversations, chats, drafts,
 * deployments, flows and functions (the rest of a project is in content.ts). Each rule raises the
 * page's code for its failure.
 */
import type { Clock } from '../shared/run.js';
import { errors } from './catalog.js';
import { entryPointName, type Parsed, parsedProblems, parseFunction } from './functions.js';
import { collectionFull, defaultLimits, ensureRoom, type Limits } from './limits.js';
import type { Chat, Conversation, Deployment, Draft, Environment, Flow, Fn, Project } from './model.js';
import { RunnerUnavailable, runOnRunner } from './runner.js';
import { Table } from './store.js';

export { type Environment, environments } from './model.js';

const reservedFunctionNames = new Set(['start', 'end', 'main', 'transfer', 'hangup']);
const reservedParameterNames = new Set(['conversation', 'state', 'context', 'env']);
const accountId = /^[a-z0-9]{3,32}$/;
const projectId = /^[a-z][a-z0-9-]{2,40}$/;
/** The messages a chat keeps, its latest: both sides of the last 100 turns. */
const maxChatMessages = 200;

/** Options of the domain. */
export interface PlatformOptions {
  /** A chat idles out after this long without a message. @default 10 minutes */
  chatTimeoutMs?: number;
  /**
   * The isolated service that runs functions, and how long a run may take; without it, running a
   * function answers 501. This process never evaluates tenant code. @default none
   */
  runner?: { readonly url: string; readonly timeoutMs: number };
  /** How much a project and an account may hold. @default `defaultLimits` */
  limits?: Partial<Limits>;
}

/** An account, and the account that created it through the API (none for the operator's own). */
export interface Account {
  readonly id: string;
  readonly parent?: string;
  /** Accounts this one has created. */
  children: number;
}

const similar = (a: string, b: string) => {
  if (a === b) return true;
  if (Math.abs(a.length - b.length) > 1) return false;
  // One edit apart: a substitution, insertion or deletion.
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return a.slice(i + 1) === b.slice(i + 1) || a.slice(i) === b.slice(i + 1) || a.slice(i + 1) === b.slice(i);
};

/** The agent's answer to one user message: an echo, and a goodbye ends the conversation. */
export function agentReply(text: string): { reply: string; ended: boolean } {
  const ended = /\b(bye|goodbye)\b/i.test(text);
  return { reply: ended ? 'Goodbye!' : `You said: ${text}`, ended };
}

export class Platform {
  readonly accounts = new Map<string, Account>();
  readonly limits: Limits;
  /** Each account's projects: a project id is unique within its account only. */
  readonly #projects = new Map<string, Table<Project>>();
  readonly #chatTimeout: number;
  readonly #runner: PlatformOptions['runner'];
  /**
   * What keeps each function from deploying, from its one parse. Keyed by the function's record, so that
   * the cache holds no more than the projects' capped function tables, and checked against its code, so
   * that another version of the source is parsed again: a chat, test run or deployment naming a 64 kB
   * function would otherwise parse it on every request.
   */
  readonly #problems = new WeakMap<Fn, { readonly code: string; readonly problems: readonly string[] }>();

  constructor(
    private readonly clock: Clock,
    options: PlatformOptions = {},
  ) {
    this.#chatTimeout = options.chatTimeoutMs ?? 10 * 60_000;
    this.#runner = options.runner;
    this.limits = { ...defaultLimits, ...options.limits };
  }

  // Accounts and projects

  /**
   * Creates account `id`, by the operator (no `parent`) or through the API by an admin of `parent`. Only an
   * operator's account creates accounts, and only `limits.accounts` of them: an account made through the
   * API cannot make more, so that no chain of accounts grows without bound.
   */
  createAccount(id: string, parent?: string): { id: string } {
    if (parent !== undefined) {
      const creator = this.account(parent);
      if (creator.parent !== undefined) throw errors.create('ACCOUNT_INSUFFICIENT_PERMISSIONS');
      ensureRoom('account', 'created accounts', creator.children, 1, this.limits.accounts);
    }
    if (this.accounts.has(id)) throw errors.create('ACCOUNT_CREATE_EXISTING_ID');
    if (!accountId.test(id) || [...this.accounts.keys()].some((other) => similar(other, id)))
      throw errors.create('ACCOUNT_CREATE_INVALID_ID');
    const account: Account = parent === undefined ? { id, children: 0 } : { id, parent, children: 0 };
    this.accounts.set(id, account);
    if (parent !== undefined) this.accounts.get(parent)!.children++;
    this.#projects.set(id, new Table<Project>(() => errors.create('PROJECT_NOT_FOUND')));
    return { id };
  }

  account(id: string): Account {
    const account = this.accounts.get(id);
    if (!account) throw errors.create('ACCOUNT_NOT_FOUND');
    return account;
  }

  /** The project `id` of `account`; another account's project is as absent as one that never was. */
  project(account: string, id: string): Project {
    const projects = this.#projects.get(account);
    if (!projects) throw errors.create('PROJECT_NOT_FOUND');
    return projects.get(id);
  }

  createProject(account: string, id: string): Project {
    this.account(account);
    const projects = this.#projects.get(account)!;
    if (!projectId.test(id)) throw errors.create('PROJECT_ID_INVALID');
    if (projects.rows.has(id)) throw errors.create('PROJECT_ID_ALREADY_EXISTS');
    ensureRoom('account', 'projects', projects.rows.size, 1, this.limits.projects);
    const limit = this.limits.perProject;
    const table = <T extends { id: string }>(notFound: () => Error, prefix: string, what: string) =>
      new Table<T>(notFound, prefix, limit, () => collectionFull('project', what, limit));
    return projects.insert({
      id,
      account,
      conversations: table(() => errors.create('CONVERSATIONS_NOT_FOUND'), 'conv_', 'conversations'),
      chats: table(() => errors.create('CHAT_DRAFT_NOT_EXIST'), 'chat_', 'chats'),
      drafts: table(() => errors.create('CHAT_DRAFT_NOT_EXIST'), 'draft_', 'drafts'),
      deployments: table(() => errors.create('DEPLOYMENT_NOT_FOUND'), 'dep_', 'deployments'),
      flows: table(() => errors.create('FLOW_NOT_FOUND'), 'flow_', 'flows'),
      functions: table(() => errors.create('FUNCTION_NOT_FOUND'), 'fn_', 'functions'),
      topics: new Map(),
      connectors: table(() => errors.create('CONNECTORS_NOT_FOUND'), 'con_', 'connectors'),
      phoneNumbers: table(() => errors.create('PHONE_NUMBERS_NOT_FOUND'), '', 'phone numbers'),
      // The page has no code of its own for a missing variant: the standard 404.
      variants: table(() => errors.builtin('notFound'), 'var_', 'variants'),
      variantNames: new Set(),
      variantAttributes: { language: ['en', 'fr', 'de'], tone: ['formal', 'casual'] },
      realtime: { schema: undefined, values: {} },
      smsTemplates: table(() => errors.create('SMS_TEMPLATE_NOT_FOUND'), 'sms_', 'SMS templates'),
      testCases: new Map(),
      limits: this.limits,
      recordingBytes: 0,
    });
  }

  // Conversations

  recordConversation(project: Project, channel: string): Conversation {
    return project.conversations.insert({
      id: project.conversations.newId(),
      project: project.id,
      channel,
      startedAt: this.clock.now(),
    });
  }

  /** The store id of a conversation's recording. */
  recording(project: Project, id: string): string {
    const conversation = project.conversations.get(id);
    if (conversation.recording === undefined) throw errors.create('CONVERSATIONS_RECORDING_NOT_FOUND');
    return conversation.recording;
  }

  // Chats: a chat runs a draft, deployed on the fly to the sandbox.

  /** A draft of `functions`, each named once: a function named again would only be checked again. */
  createDraft(project: Project, functions: readonly string[]): Draft {
    const unique = [...new Set(functions)];
    for (const id of unique) project.functions.get(id);
    return project.drafts.insert({
      id: project.drafts.newId(),
      project: project.id,
      functions: unique,
    });
  }

  /** What keeps a function from deploying, parsed once per version of its source. */
  #functionProblems(fn: Fn, parsed?: Parsed): readonly string[] {
    const known = this.#problems.get(fn);
    if (known?.code === fn.code) return known.problems;
    const problems = parsedProblems(parsed ?? parseFunction(fn.code));
    this.#problems.set(fn, { code: fn.code, problems });
    return problems;
  }

  /** What keeps a draft from deploying: the problems of each of its functions. */
  draftProblems(project: Project, draft: Draft): string[] {
    const problems: string[] = [];
    for (const fnId of draft.functions) {
      const fn = project.functions.get(fnId);
      for (const problem of this.#functionProblems(fn)) problems.push(`function ${fn.name}: ${problem}`);
    }
    return problems;
  }

  /** Checks `draftId` deploys to the sandbox, as a chat does before it starts. */
  autoDeploy(project: Project, draftId: string): Draft {
    const draft = project.drafts.get(draftId);
    this.#ensureDeploys(project, draft);
    return draft;
  }

  #ensureDeploys(project: Project, draft: Draft): void {
    const problems = this.draftProblems(project, draft);
    if (problems.length > 0)
      throw errors.create('CHAT_DRAFT_DEPLOYMENT_FAILED', undefined, {
        cause: new Error(problems.join('; ')),
      });
  }

  /** Starts a chat of `draftId`: the draft must exist, the chat fit in the project, then the draft deploy. */
  startChat(project: Project, draftId: string): Chat {
    const draft = project.drafts.get(draftId);
    // A full project forgets its ended and idled-out chats before it refuses a new one, and refuses before
    // the draft's functions are checked: a refusal costs no parse.
    if (project.chats.rows.size >= project.chats.limit) {
      const now = this.clock.now();
      for (const [id, chat] of project.chats.rows)
        if (chat.ended || now - chat.lastActivity > this.#chatTimeout) project.chats.rows.delete(id);
    }
    project.chats.ensureRoom();
    this.#ensureDeploys(project, draft);
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
    const { reply, ended } = agentReply(text);
    chat.messages.push({ from: 'agent', text: reply });
    // A chat keeps its latest messages only: a long one never grows the process without bound.
    if (chat.messages.length > maxChatMessages)
      chat.messages.splice(0, chat.messages.length - maxChatMessages);
    if (ended) chat.ended = true;
    return { reply, ended };
  }

  // Deployments: sandbox → pre-release → live, one version per environment.

  deploy(project: Project, environment: Environment, draftId: string, version: string): Deployment {
    const draft = project.drafts.rows.get(draftId);
    if (!draft)
      throw errors.create('DEPLOYMENTS_VALIDATION_FAILED', undefined, {
        fieldErrors: [{ pointer: '/draftId', detail: 'No draft of this project has this id.' }],
      });
    const problems = this.draftProblems(project, draft);
    if (problems.length > 0)
      throw errors.create('FUNCTIONS_DEPLOYMENT_HAS_ERRORS', undefined, {
        cause: new Error(problems.join('; ')),
      });
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
    ensureRoom('flow', 'functions', flow.functions.length, 1, project.limits.perProject);
    flow.functions.push(name);
    return flow;
  }

  createFunction(project: Project, name: string, code: string): Fn {
    if (reservedFunctionNames.has(name)) throw errors.create('FUNCTIONS_RESERVED_NAME');
    if (project.functions.find((f) => f.name === name)) throw errors.create('FUNCTION_NAME_ALREADY_EXISTS');
    // A full project refuses before the parse, which is the costly part of a new function.
    project.functions.ensureRoom();
    const parsed = parseFunction(code);
    if (!parsed.ok)
      throw errors.create('FUNCTION_FAILED_TO_PARSE', undefined, { cause: new Error(parsed.error) });
    const fn = project.functions.insert({ id: project.functions.newId(), project: project.id, name, code });
    // The parse just made answers the function's first deployment check too.
    this.#functionProblems(fn, parsed);
    return fn;
  }

  checkFunction(project: Project, id: string): { deployable: true } {
    const fn = project.functions.get(id);
    const problems = this.#functionProblems(fn);
    if (problems.length > 0)
      throw errors.create('FUNCTIONS_DEPLOYMENT_HAS_ERRORS', undefined, {
        cause: new Error(problems.join('; ')),
      });
    return { deployable: true };
  }

  /**
   * Runs a function on the configured runner: checked like a deployment first, then sent there. The
   * runner's runtime failure is the page's execution error; no runner is a 501.
   */
  async runFunction(project: Project, id: string, input: unknown): Promise<{ result: unknown }> {
    this.checkFunction(project, id);
    const fn = project.functions.get(id);
    if (!this.#runner) throw errors.builtin('notImplemented');
    let outcome: Awaited<ReturnType<typeof runOnRunner>>;
    try {
      outcome = await runOnRunner(this.#runner.url, this.#runner.timeoutMs, {
        entryPoint: entryPointName,
        source: fn.code,
        input: input ?? null,
      });
    } catch (cause) {
      if (cause instanceof RunnerUnavailable) throw errors.builtin('badGateway', undefined, { cause });
      throw cause;
    }
    if (!outcome.ok)
      throw errors.create('FUNCTION_EXECUTION_FAILED', undefined, { cause: new Error(outcome.error) });
    return { result: outcome.result };
  }
}
