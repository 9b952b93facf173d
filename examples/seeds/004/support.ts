/**
 * Help & support: tickets looked up by (ref, token) with no existence oracle, an admin state machine, AI
 * reply drafts from an upstream service, departments with slugs, and the public "track" flow by
 * (ref, email) + one-time code. The collapsed codes name their internal reason; only the log sees it.
 */
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { errors } from './catalog.js';
import type { Mailer } from './mail.js';

export type TicketStatus = 'open' | 'pending' | 'resolved' | 'closed';
export interface Ticket {
  ref: string;
  email: string;
  subject: string;
  status: TicketStatus;
  tokenHash: Buffer;
  department: string | undefined;
  chat: 'none' | 'requested' | 'claimed' | 'ended';
}

const transitions: Record<TicketStatus, TicketStatus[]> = {
  open: ['pending', 'resolved'],
  pending: ['open', 'resolved'],
  resolved: ['closed', 'open'],
  closed: [],
};
const sha = (value: string) => createHash('sha256').update(value).digest();
const decoy = sha('decoy');
/** Wrong codes a tracking code survives: the next wrong one burns it, the right one included after. */
const otpAttempts = 5;
/** Tracking codes mailed per (ticket, address) per hour: past it the request is answered alike, unsent. */
const otpIssues = 5;
const otpIssueWindow = 60 * 60_000;

export class Support {
  readonly tickets = new Map<string, Ticket>();
  readonly departments = new Map<string, { slug: string; name: string }>();
  readonly #otps = new Map<string, { hash: Buffer; expires: number; failures: number }>();
  /** Codes issued per pair in the current hour; a pair exists only for a real ticket and its address. */
  readonly #issued = new Map<string, { since: number; count: number }>();

  constructor(
    private readonly now: () => number,
    private readonly draftService: string | undefined,
    private readonly mail: Mailer,
  ) {}

  open(email: string, subject: string): { ref: string; token: string } {
    const ref = `T-${randomBytes(4).toString('hex').toUpperCase()}`;
    const token = randomBytes(18).toString('base64url');
    this.tickets.set(ref, {
      ref,
      email,
      subject,
      status: 'open',
      tokenHash: sha(token),
      department: undefined,
      chat: 'none',
    });
    return { ref, token };
  }

  /** The public thread view: an unknown ref and a wrong token answer alike. */
  thread(ref: string, token: string): { ref: string; subject: string; status: TicketStatus } {
    const ticket = this.tickets.get(ref);
    // Compare even for an unknown ref, so that neither the body nor the time tells the two apart.
    const matches = timingSafeEqual(sha(token), ticket?.tokenHash ?? decoy);
    if (!ticket) throw errors.create('SUPPORT_TICKET_NOT_FOUND', undefined, { reason: 'unknown-ref' });
    if (!matches) throw errors.create('SUPPORT_TICKET_NOT_FOUND', undefined, { reason: 'wrong-token' });
    return { ref, subject: ticket.subject, status: ticket.status };
  }

  transition(ref: string, to: TicketStatus): Ticket {
    const ticket = this.#ticket(ref);
    if (!transitions[ticket.status].includes(to)) throw errors.create('SUPPORT_TICKET_TRANSITION_INVALID');
    ticket.status = to;
    return ticket;
  }

  async draft(ref: string): Promise<{ draft: string }> {
    const ticket = this.#ticket(ref);
    if (!this.draftService)
      throw errors.create('SUPPORT_DRAFT_UNAVAILABLE', undefined, {
        cause: new Error('no draft service configured'),
      });
    try {
      const res = await fetch(this.draftService, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ subject: ticket.subject }),
        signal: AbortSignal.timeout(2000),
      });
      if (!res.ok) throw new Error(`draft service answered ${res.status}`);
      return { draft: String(((await res.json()) as { text?: unknown }).text ?? '') };
    } catch (cause) {
      throw errors.create('SUPPORT_DRAFT_UNAVAILABLE', undefined, { cause });
    }
  }

  addDepartment(slug: string, name: string) {
    if (this.departments.has(slug)) throw errors.create('SUPPORT_SLUG_CONFLICT');
    const department = { slug, name };
    this.departments.set(slug, department);
    return department;
  }

  assign(ref: string, department: string): Ticket {
    const ticket = this.#ticket(ref);
    if (!this.departments.has(department)) throw errors.create('SUPPORT_REFERENCE_NOT_FOUND');
    ticket.department = department;
    return ticket;
  }

  /** Track step 1: a code is mailed when (ref, email) match; the answer is the same either way. */
  requestOtp(ref: string, email: string): void {
    const ticket = this.tickets.get(ref);
    if (!ticket || ticket.email !== email) return;
    const pair = `${ref}:${email}`;
    const now = this.now();
    let issued = this.#issued.get(pair);
    if (!issued || now - issued.since >= otpIssueWindow) {
      issued = { since: now, count: 0 };
      this.#issued.set(pair, issued);
    }
    // Else a new code every request would reset the attempt cap: 5 codes of 5 attempts each per hour.
    if (issued.count >= otpIssues) return;
    issued.count++;
    const otp = String(randomInt(100000, 1000000));
    this.#otps.set(pair, { hash: sha(otp), expires: now + 10 * 60_000, failures: 0 });
    this.mail({ to: email, subject: `Your code for ticket ${ref}`, text: `Your tracking code: ${otp}` });
  }

  /**
   * Track step 2: an unknown pair, a wrong code and a burned one answer alike. A code survives
   * `otpAttempts` wrong guesses; the last of them burns it, so a guesser cannot go on to the right one.
   */
  verifyOtp(ref: string, email: string, otp: string): { ref: string; status: TicketStatus } {
    const pair = `${ref}:${email}`;
    const entry = this.#otps.get(pair);
    const matches = timingSafeEqual(sha(otp), entry?.hash ?? decoy);
    if (!entry || entry.expires <= this.now())
      throw errors.create('SUPPORT_TRACK_AUTH_FAILED', undefined, { reason: 'unknown-pair' });
    if (!matches) {
      entry.failures++;
      if (entry.failures >= otpAttempts) this.#otps.delete(pair);
      throw errors.create('SUPPORT_TRACK_AUTH_FAILED', undefined, {
        reason: entry.failures >= otpAttempts ? 'otp-burned' : 'wrong-otp',
      });
    }
    this.#otps.delete(pair);
    return { ref, status: this.tickets.get(ref)!.status };
  }

  requestChat(ref: string): Ticket {
    const ticket = this.#ticket(ref);
    if (ticket.status !== 'open' || ticket.chat !== 'none') throw errors.create('SUPPORT_CHAT_STATE_INVALID');
    ticket.chat = 'requested';
    return ticket;
  }

  claimChat(ref: string): Ticket {
    const ticket = this.#ticket(ref);
    if (ticket.chat !== 'requested') throw errors.create('SUPPORT_CHAT_STATE_INVALID');
    ticket.chat = 'claimed';
    return ticket;
  }

  /**
   * A ticket of an admin route. An unknown one is the page's code for a ticket lookup; its code for a
   * reference (`SUPPORT_REFERENCE_NOT_FOUND`) is for departments, categories, agents and SLA policies.
   */
  #ticket(ref: string): Ticket {
    const ticket = this.tickets.get(ref);
    if (!ticket) throw errors.create('SUPPORT_TICKET_NOT_FOUND', undefined, { reason: 'unknown-ref' });
    return ticket;
  }
}
