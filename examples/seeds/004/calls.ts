/**
 * Outbound calls of a workspace: every gate of page 004 in the order production checks them
 * (subscription, lifecycle, guardrails, operator, provider), hang-up, and live-call listeners.
 */
import { randomBytes } from 'node:crypto';
import { errors } from './catalog.js';
import type { Call, Workspace, Workspaces } from './workspaces.js';

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
/** The countries a workspace may enable for outbound calls. */
export const countryCodes = ['US', 'GB', 'FR', 'DE', 'AU'] as const;

export function countryOf(number: string): string {
  return prefixes.find(([prefix]) => number.startsWith(prefix))?.[1] ?? 'ZZ';
}

/** A telephony adapter: places the call through its provider. */
export interface ProviderAdapter {
  dial(call: Call, credential: string): Promise<void>;
}

export class Calls {
  constructor(
    private readonly workspaces: Workspaces,
    /** The provider adapters registered in this process, by id. */
    readonly registry: ReadonlyMap<string, ProviderAdapter>,
  ) {}

  async dial(
    workspace: Workspace,
    input: { from: string; to: string; agent: string; operator?: string | undefined },
  ): Promise<Call> {
    this.workspaces.requireSubscription(workspace);
    this.workspaces.requireActive(workspace);
    const number = workspace.numbers.get(input.from);
    if (!number) throw errors.create('RESOURCE_NOT_FOUND');
    if (number.status === 'suspended') throw errors.create('NUMBER_SUSPENDED');
    if (this.workspaces.agent(workspace, input.agent).status === 'suspended')
      throw errors.create('AGENT_SUSPENDED');
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
      id: `call_${randomBytes(6).toString('hex')}`,
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

  /** Ends the caller's listener session on a call of the URL's workspace; detaching twice is no error. */
  detach(workspace: Workspace, callId: string, user: string): void {
    const call = workspace.calls.get(callId);
    if (!call) throw errors.create('RESOURCE_NOT_FOUND');
    call.listeners.delete(user);
  }

  #anyCall(id: string): Call | undefined {
    for (const workspace of this.workspaces.all.values()) {
      const call = workspace.calls.get(id);
      if (call) return call;
    }
    return undefined;
  }
}
