/**
 * Workspaces and what they own: members, subscription and entitlements, telephony provider and
 * credentials, numbers, agents, contacts, calls and live-call listeners. The gates of page 004 are here:
 * subscription and entitlement (402), lifecycle suspensions, guardrails (DNC, hard-block, countries).
 */
import { randomUUID } from 'node:crypto';
import { errors } from './catalog.js';

export type Plan = 'none' | 'trial' | 'active' | 'canceled';
export interface Agent {
  id: string;
  status: 'active' | 'suspended';
  state: 'draft' | 'published' | 'archived';
  voice: string | undefined;
  training: boolean;
}
export interface Call {
  id: string;
  workspace: string;
  from: string;
  to: string;
  agent: string;
  operator: string | undefined;
  status: 'queued' | 'in_progress' | 'completed';
  listeners: Set<string>;
}
export interface Workspace {
  id: string;
  status: 'active' | 'suspended';
  plan: Plan;
  entitlements: Set<string>;
  members: Map<string, 'owner' | 'member'>;
  provider: { id: string; credential: string | undefined };
  countries: Set<string>;
  dnc: Set<string>;
  numbers: Map<string, { status: 'active' | 'suspended' }>;
  agents: Map<string, Agent>;
  contacts: Map<string, { id: string; name: string; version: number }>;
  calls: Map<string, Call>;
  credit: number;
}

/** Telephony adapters wired into this build; a workspace may name a provider that is not (yet). */
export const providerIds = ['twilio', 'telnyx', 'plivo'] as const;
/** Emergency and system numbers no outbound call may reach. */
const hardBlock = new Set(['+1911', '+112', '+44999', '+44112']);
/** Dialling prefixes to ISO-3166 alpha-2, longest first. */
const prefixes: [string, string][] = [
  ['+44', 'GB'],
  ['+33', 'FR'],
  ['+49', 'DE'],
  ['+61', 'AU'],
  ['+1', 'US'],
];

export function countryOf(number: string): string {
  return prefixes.find(([prefix]) => number.startsWith(prefix))?.[1] ?? 'ZZ';
}

export class Workspaces {
  readonly all = new Map<string, Workspace>();

  constructor(
    /** The provider adapters registered in this process, by id. */
    readonly registry: ReadonlyMap<string, { dial(call: Call, credential: string): Promise<void> }>,
  ) {}

  create(owner: string, init: Partial<Workspace> = {}): Workspace {
    const workspace: Workspace = {
      id: `ws_${randomUUID().slice(0, 8)}`,
      status: 'active',
      plan: 'trial',
      entitlements: new Set(),
      members: new Map([[owner, 'owner']]),
      provider: { id: 'twilio', credential: 'AC-test-credential' },
      countries: new Set(['US', 'GB']),
      dnc: new Set(),
      numbers: new Map(),
      agents: new Map(),
      contacts: new Map(),
      calls: new Map(),
      credit: 10,
      ...init,
    };
    this.all.set(workspace.id, workspace);
    return workspace;
  }

  /** The workspace of a URL, for one of its members. */
  of(id: string, user: string): Workspace {
    const workspace = this.all.get(id);
    if (!workspace) throw errors.create('RESOURCE_NOT_FOUND');
    if (!workspace.members.has(user)) throw errors.create('RESOURCE_FORBIDDEN');
    return workspace;
  }

  /** `SubscriptionGuard`: actions past it need a trial or an active plan. */
  requireSubscription(workspace: Workspace): void {
    if (workspace.plan !== 'trial' && workspace.plan !== 'active')
      throw errors.create('SUBSCRIPTION_REQUIRED');
  }

  /** `EntitlementGuard`: the plan must include the feature. */
  requireEntitlement(workspace: Workspace, entitlement: string): void {
    this.requireSubscription(workspace);
    if (!workspace.entitlements.has(entitlement))
      throw errors.create('ENTITLEMENT_REQUIRED', { entitlement });
  }

  // Contacts: optimistic concurrency with versions (If-Match).

  updateContact(workspace: Workspace, id: string, name: string, ifMatch: string | undefined) {
    const contact = workspace.contacts.get(id);
    if (!contact) throw errors.create('RESOURCE_NOT_FOUND');
    if (ifMatch !== undefined && ifMatch !== `"${contact.version}"`) throw errors.create('RESOURCE_CONFLICT');
    contact.name = name;
    contact.version++;
    return contact;
  }

  // Agents: draft → published → archived; publishing needs a voice; training runs one at a time.

  agent(workspace: Workspace, id: string): Agent {
    const agent = workspace.agents.get(id);
    if (!agent) throw errors.create('RESOURCE_NOT_FOUND');
    return agent;
  }

  transition(workspace: Workspace, id: string, to: Agent['state']): Agent {
    const agent = this.agent(workspace, id);
    const allowed: Record<Agent['state'], Agent['state'][]> = {
      draft: ['published'],
      published: ['archived', 'draft'],
      archived: [],
    };
    if (!allowed[agent.state].includes(to)) throw errors.create('INVALID_STATE_TRANSITION');
    if (to === 'published' && agent.voice === undefined) throw errors.create('PRECONDITION_NOT_MET');
    agent.state = to;
    return agent;
  }

  /** Starts a training run that lasts `ms`; a second one while it runs is refused. */
  train(workspace: Workspace, id: string, ms: number): Agent {
    const agent = this.agent(workspace, id);
    if (agent.training) throw errors.create('OPERATION_IN_PROGRESS');
    agent.training = true;
    setTimeout(() => {
      agent.training = false;
    }, ms).unref();
    return agent;
  }

  // Outbound calls: every gate of the page, in the order production checks them.

  async dial(
    workspace: Workspace,
    input: { from: string; to: string; agent: string; operator?: string },
  ): Promise<Call> {
    this.requireSubscription(workspace);
    if (workspace.status === 'suspended') throw errors.create('WORKSPACE_SUSPENDED');
    const number = workspace.numbers.get(input.from);
    if (!number) throw errors.create('RESOURCE_NOT_FOUND');
    if (number.status === 'suspended') throw errors.create('NUMBER_SUSPENDED');
    if (this.agent(workspace, input.agent).status === 'suspended') throw errors.create('AGENT_SUSPENDED');
    if (hardBlock.has(input.to)) throw errors.create('CALL_BLOCKED', { reason: 'hard_block' });
    if (workspace.dnc.has(input.to)) throw errors.create('CALL_BLOCKED', { reason: 'dnc' });
    const country = countryOf(input.to);
    if (!workspace.countries.has(country))
      throw errors.create('DESTINATION_COUNTRY_NOT_ENABLED', { countryCode: country });
    if (input.operator !== undefined)
      for (const call of workspace.calls.values())
        if (call.operator === input.operator && call.status !== 'completed')
          throw errors.create('OPERATOR_CALL_ACTIVE');
    const adapter = this.registry.get(workspace.provider.id);
    if (!adapter)
      throw errors.create('PROVIDER_NOT_REGISTERED', undefined, {
        cause: new Error(`no telephony adapter registered for "${workspace.provider.id}"`),
      });
    if (!workspace.provider.credential) throw errors.create('PROVIDER_NOT_CONFIGURED');
    const call: Call = {
      id: `call_${randomUUID().slice(0, 8)}`,
      workspace: workspace.id,
      from: input.from,
      to: input.to,
      agent: input.agent,
      operator: input.operator,
      status: 'queued',
      listeners: new Set(),
    };
    await adapter.dial(call, workspace.provider.credential);
    call.status = 'in_progress';
    workspace.calls.set(call.id, call);
    return call;
  }

  hangup(workspace: Workspace, id: string): Call {
    const call = workspace.calls.get(id);
    if (!call) throw errors.create('RESOURCE_NOT_FOUND');
    if (call.status !== 'in_progress') throw errors.create('CALL_NOT_ACTIVE');
    call.status = 'completed';
    return call;
  }

  // Live-call listener: the URL's workspace must own the call.

  attach(workspace: Workspace, callId: string, user: string): { call: string; listener: string } {
    const call = this.#anyCall(callId);
    if (!call) throw errors.create('RESOURCE_NOT_FOUND');
    if (call.workspace !== workspace.id) throw errors.create('LISTENER_CALL_FORBIDDEN');
    if (call.status !== 'in_progress') throw errors.create('LISTENER_CALL_NOT_LIVE');
    if (call.listeners.has(user)) throw errors.create('LISTENER_ALREADY_ATTACHED');
    call.listeners.add(user);
    return { call: call.id, listener: user };
  }

  #anyCall(id: string): Call | undefined {
    for (const workspace of this.all.values()) {
      const call = workspace.calls.get(id);
      if (call) return call;
    }
    return undefined;
  }
}
