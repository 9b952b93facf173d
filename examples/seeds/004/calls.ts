/**
 * Outbound calls of a workspace: every gate of page 004 in the order production checks them
 * (subscription, lifecycle, guardrails, operator, provider), hang-up, and live-call listeners.
 */
import { randomBytes } from 'node:crypto';
import { errors } from './catalog.js';
import type { Call, Workspace, Workspaces } from './workspaces.js';

/**
 * The numbering plans of the countries a workspace may enable: calling code, country, the digits of a full
 * national number, and the emergency numbers no outbound call may reach. Sources: ITU-T E.161.1 (112 and
 * 911) and each regulator's numbering plan: FCC (911), Ofcom (999), ARCEP (15 SAMU, 17 police, 18 fire,
 * 114 for the deaf, 115, 119, 191, 196, 197), Bundesnetzagentur (110), ACMA (000, 106 text relay).
 * Longest calling code first.
 */
const plans = [
  { code: '+44', country: 'GB', digits: 10, emergency: ['999', '112'] },
  {
    code: '+33',
    country: 'FR',
    digits: 9,
    emergency: ['15', '17', '18', '112', '114', '115', '119', '191', '196', '197'],
  },
  // German numbers vary in length, up to 11 digits; none begins with 110 or 112.
  { code: '+49', country: 'DE', digits: 11, emergency: ['110', '112'] },
  { code: '+61', country: 'AU', digits: 9, emergency: ['000', '112', '106'] },
  // The North American plan, Canada's too.
  { code: '+1', country: 'US', digits: 10, emergency: ['911', '112'] },
] as const;
/** The countries a workspace may enable for outbound calls. */
export const countryCodes = ['US', 'GB', 'FR', 'DE', 'AU'] as const;

const planOf = (number: string) => plans.find((plan) => number.startsWith(plan.code));

export function countryOf(number: string): string {
  return planOf(number)?.country ?? 'ZZ';
}

/**
 * Whether dialling `number` may reach an emergency number. It is `+` and digits (the call schema refuses
 * spaces, dashes and extension marks); its national part is read as a provider may read it: as written,
 * and without the trunk zeros a caller put after the calling code (+44 0999 is 999). Past an emergency
 * number the rest is an extension, since a switch routes the emergency number once its digits are in
 * (+1 911 0); only a full-length national number is another subscriber's, even where it begins with one
 * (+33 155 55 12 34, a Paris number, begins with 15).
 */
function reachesEmergency(number: string): boolean {
  const plan = planOf(number);
  if (!plan) return false;
  const national = number.slice(plan.code.length);
  return [national, national.replace(/^0+/, '')].some(
    (digits) => digits.length < plan.digits && plan.emergency.some((short) => digits.startsWith(short)),
  );
}

/**
 * The one form a Do-Not-Call entry is kept and matched in, so that no other writing of the number reaches
 * it: read as `reachesEmergency` reads a number, without the trunk zeros after the calling code (+44 020 is
 * +44 20) and without the digits past a full-length national number, which a switch does not route on. A
 * shorter national number keeps its digits: with more it may be another subscriber's.
 */
export function canonicalNumber(number: string): string {
  const plan = planOf(number);
  if (!plan) return number;
  return plan.code + number.slice(plan.code.length).replace(/^0+/, '').slice(0, plan.digits);
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
    if (reachesEmergency(input.to)) throw errors.create('CALL_BLOCKED', { reason: 'hard_block' });
    if (workspace.dnc.has(canonicalNumber(input.to))) throw errors.create('CALL_BLOCKED', { reason: 'dnc' });
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
