/**
 * Workspaces and what they own: members, subscription and entitlements, telephony provider and
 * credentials, numbers, agents, contacts, calls, widgets' credit. The lifecycle of page 004 is here: a
 * platform admin suspends a workspace, and the suspension cascades to its numbers and agents; a number or
 * an agent can also be suspended on its own, and stays so when its workspace is resumed.
 */
import { randomBytes } from 'node:crypto';
import { canonicalNumber } from './calls.js';
import { errors } from './catalog.js';

export type Plan = 'none' | 'trial' | 'active' | 'canceled';
/** Who suspended a number or an agent: its workspace's suspension (a cascade), or an admin directly. */
export type SuspendedBy = 'workspace' | 'admin';
export interface Lifecycle {
  status: 'active' | 'suspended';
  suspendedBy?: SuspendedBy;
}
export interface Agent extends Lifecycle {
  id: string;
  name: string;
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
  name: string;
  status: 'active' | 'suspended';
  plan: Plan;
  entitlements: Set<string>;
  members: Map<string, 'owner' | 'member'>;
  provider: { id: string; credential: string | undefined };
  countries: Set<string>;
  /** The Do-Not-Call list, each number as `canonicalNumber` writes it. */
  dnc: Set<string>;
  numbers: Map<string, Lifecycle>;
  agents: Map<string, Agent>;
  contacts: Map<string, { id: string; name: string; version: number }>;
  calls: Map<string, Call>;
  credit: number;
  /** White-label branding, for plans with the `branding` entitlement. */
  branding: { logoUrl: string; primaryColor: string } | undefined;
}

/** Telephony adapters a workspace may pick; not every one is wired into every build. */
export const providerIds = ['twilio', 'telnyx', 'plivo'] as const;
/** Features a plan may include. */
export const entitlementNames = ['branding', 'enterprise_analytics'] as const;

/** How many of each a workspace or a user may hold; past a cap, `QUOTA_EXCEEDED` (the per-resource quota). */
export interface WorkspaceCaps {
  /** Workspaces a user owns. */
  perUser: number;
  /** Contacts, numbers, agents, Do-Not-Call entries and widgets a workspace holds, each. */
  items: number;
}

export const defaultCaps: WorkspaceCaps = { perUser: 50, items: 1000 };

/** Refuses a new item of a collection that already holds `cap`. */
export function requireRoom(size: number, cap: number): void {
  if (size >= cap) throw errors.create('QUOTA_EXCEEDED');
}

/** What a member sees of a workspace: never the provider credential. */
export function workspaceView(workspace: Workspace) {
  return {
    id: workspace.id,
    name: workspace.name,
    status: workspace.status,
    plan: workspace.plan,
    entitlements: [...workspace.entitlements],
    credit: workspace.credit,
    branding: workspace.branding ?? null,
    provider: { id: workspace.provider.id, configured: workspace.provider.credential !== undefined },
    countries: [...workspace.countries],
    numbers: [...workspace.numbers].map(([number, lifecycle]) => ({ number, ...lifecycle })),
    agents: [...workspace.agents.values()].map(({ training: _, ...agent }) => agent),
  };
}

function suspend(item: Lifecycle, by: SuspendedBy): void {
  // An admin's suspension outlives the workspace's; a cascade never overrides an admin's.
  if (item.status === 'suspended' && (item.suspendedBy === 'admin' || by === 'workspace')) return;
  item.status = 'suspended';
  item.suspendedBy = by;
}

function resume(item: Lifecycle, by: SuspendedBy, workspace: Workspace): void {
  if (item.status !== 'suspended' || item.suspendedBy !== by) return;
  // Lifting an admin's suspension inside a suspended workspace leaves the cascade's in place.
  if (by === 'admin' && workspace.status === 'suspended') {
    item.suspendedBy = 'workspace';
    return;
  }
  item.status = 'active';
  delete item.suspendedBy;
}

export class Workspaces {
  readonly all = new Map<string, Workspace>();
  /** Every number a workspace holds, as `canonicalNumber` writes it: a number is one workspace's at a time. */
  readonly #heldNumbers = new Set<string>();

  constructor(readonly caps: WorkspaceCaps = defaultCaps) {}

  create(owner: string, init: Partial<Workspace> = {}): Workspace {
    requireRoom(
      this.of(owner).filter((workspace) => workspace.members.get(owner) === 'owner').length,
      this.caps.perUser,
    );
    const workspace: Workspace = {
      id: `ws_${randomBytes(4).toString('hex')}`,
      name: 'Workspace',
      status: 'active',
      plan: 'trial',
      entitlements: new Set(),
      members: new Map([[owner, 'owner']]),
      provider: { id: 'twilio', credential: undefined },
      countries: new Set(['US', 'GB']),
      dnc: new Set(),
      numbers: new Map(),
      agents: new Map(),
      contacts: new Map(),
      calls: new Map(),
      credit: 10,
      branding: undefined,
      ...init,
    };
    this.all.set(workspace.id, workspace);
    return workspace;
  }

  /** The workspaces a user is a member of. */
  of(user: string): Workspace[] {
    return [...this.all.values()].filter((workspace) => workspace.members.has(user));
  }

  /**
   * The workspace of a URL, for one of its members. To anyone else a workspace that exists is as unknown as
   * one that does not (the same 404): an id is no oracle of which workspaces exist.
   */
  forMember(id: string, user: string): Workspace {
    const workspace = this.all.get(id);
    if (!workspace?.members.has(user)) throw errors.create('RESOURCE_NOT_FOUND');
    return workspace;
  }

  /** The workspace of an admin URL. */
  get(id: string): Workspace {
    const workspace = this.all.get(id);
    if (!workspace) throw errors.create('RESOURCE_NOT_FOUND');
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

  /** Settings are refused while the workspace is suspended: the lifecycle gate. */
  requireActive(workspace: Workspace): void {
    if (workspace.status === 'suspended') throw errors.create('WORKSPACE_SUSPENDED');
  }

  // Lifecycle: platform-admin suspensions, cascading from the workspace.

  suspend(workspace: Workspace): void {
    workspace.status = 'suspended';
    for (const number of workspace.numbers.values()) suspend(number, 'workspace');
    for (const agent of workspace.agents.values()) suspend(agent, 'workspace');
  }

  resume(workspace: Workspace): void {
    workspace.status = 'active';
    for (const number of workspace.numbers.values()) resume(number, 'workspace', workspace);
    for (const agent of workspace.agents.values()) resume(agent, 'workspace', workspace);
  }

  setNumber(workspace: Workspace, number: string, suspended: boolean): Lifecycle {
    const item = workspace.numbers.get(number);
    if (!item) throw errors.create('RESOURCE_NOT_FOUND');
    if (suspended) suspend(item, 'admin');
    else resume(item, 'admin', workspace);
    return item;
  }

  setAgent(workspace: Workspace, id: string, suspended: boolean): Agent {
    const agent = this.agent(workspace, id);
    if (suspended) suspend(agent, 'admin');
    else resume(agent, 'admin', workspace);
    return agent;
  }

  // Telephony settings.

  /**
   * A number the workspace calls from. One another workspace holds, in any writing, is `RESOURCE_CONFLICT`
   * as one this workspace holds is: else any tenant could call as another's number, and an admin's
   * suspension of it in one workspace would leave the other copy in use.
   */
  addNumber(workspace: Workspace, number: string): { number: string } & Lifecycle {
    this.requireActive(workspace);
    const canonical = canonicalNumber(number);
    if (this.#heldNumbers.has(canonical)) throw errors.create('RESOURCE_CONFLICT');
    requireRoom(workspace.numbers.size, this.caps.items);
    const item: Lifecycle = { status: 'active' };
    workspace.numbers.set(number, item);
    this.#heldNumbers.add(canonical);
    return { number, ...item };
  }

  addAgent(workspace: Workspace, name: string, voice: string | undefined): Agent {
    this.requireActive(workspace);
    requireRoom(workspace.agents.size, this.caps.items);
    const agent: Agent = {
      id: `agt_${workspace.agents.size + 1}`,
      name,
      status: 'active',
      state: 'draft',
      voice,
      training: false,
    };
    workspace.agents.set(agent.id, agent);
    return agent;
  }

  /** A number on the Do-Not-Call list; one already there, in any writing, takes no room. */
  addDnc(workspace: Workspace, number: string): void {
    const canonical = canonicalNumber(number);
    if (!workspace.dnc.has(canonical)) requireRoom(workspace.dnc.size, this.caps.items);
    workspace.dnc.add(canonical);
  }

  // Contacts: optimistic concurrency with versions (If-Match).

  addContact(workspace: Workspace, name: string) {
    requireRoom(workspace.contacts.size, this.caps.items);
    const contact = { id: `ct_${workspace.contacts.size + 1}`, name, version: 1 };
    workspace.contacts.set(contact.id, contact);
    return contact;
  }

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
}
