/**
 * Embeddable visitor widgets: an origin allowlist, daily caps per widget and per visitor, a credit charge
 * per session, and visitor session tokens that expire. A visitor, for the cap, is a client address (the
 * key of the per-IP limits): a visitor id in the request is the caller's to choose, and a new one would open
 * a new budget. Visitors behind one address (an office, a carrier's NAT) share theirs.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../shared/run.js';
import { errors } from './catalog.js';
import type { Workspace } from './workspaces.js';

export interface Widget {
  id: string;
  workspace: Workspace;
  status: 'active' | 'paused' | 'archived';
  origins: string[];
  maxSessionsPerDay: number;
  maxSessionsPerVisitorPerDay: number;
}

/** How long a visitor's session lasts by default. */
export const sessionTtl = 60 * 60_000;
const inboxSize = 500;
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export class Widgets {
  readonly all = new Map<string, Widget>();
  readonly #counts = new Map<string, number>();
  readonly #sessions = new Map<string, { widget: string; visitor: string; expires: number }>();
  /** What visitors wrote, per widget, for the workspace's members; the latest `inboxSize` kept. */
  readonly #inbox = new Map<string, { visitor: string; text: string; at: string }[]>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs = sessionTtl,
  ) {}

  add(widget: Omit<Widget, 'id'>): Widget {
    const created = { id: `wid_${randomBytes(4).toString('hex')}`, ...widget };
    this.all.set(created.id, created);
    return created;
  }

  /** How many widgets `workspace` holds, archived ones included (they keep their inbox). */
  count(workspace: Workspace): number {
    let count = 0;
    for (const widget of this.all.values()) if (widget.workspace === workspace) count++;
    return count;
  }

  /** A widget of `workspace`, for its members: another workspace's answers as unknown. */
  of(workspace: Workspace, id: string): Widget {
    const widget = this.all.get(id);
    if (!widget || widget.workspace !== workspace) throw errors.create('RESOURCE_NOT_FOUND');
    return widget;
  }

  /** What a member sees of a widget. */
  static view({ workspace: _, ...widget }: Widget) {
    return widget;
  }

  #widget(id: string): Widget {
    const widget = this.all.get(id);
    if (!widget || widget.status === 'archived') throw errors.create('WIDGET_NOT_FOUND');
    return widget;
  }

  /**
   * A visitor's session: `client` is the key the per-visitor cap counts under, `label` the name its
   * messages carry.
   */
  start(
    id: string,
    origin: string | undefined,
    visitor: { label: string; client: string },
  ): { token: string } {
    const widget = this.#widget(id);
    if (widget.status !== 'active') throw errors.create('WIDGET_NOT_ACTIVE');
    if (origin === undefined || !widget.origins.includes(origin))
      throw errors.create('WIDGET_ORIGIN_NOT_ALLOWED');
    const today = day(this.clock.now());
    const widgetKey = `${widget.id}:${today}`;
    const visitorKey = `${widget.id}:${visitor.client}:${today}`;
    if ((this.#counts.get(widgetKey) ?? 0) >= widget.maxSessionsPerDay)
      throw errors.create('WIDGET_DAILY_LIMIT_REACHED');
    if ((this.#counts.get(visitorKey) ?? 0) >= widget.maxSessionsPerVisitorPerDay)
      throw errors.create('WIDGET_VISITOR_LIMIT_REACHED');
    if (widget.workspace.credit < 1) throw errors.create('WIDGET_INSUFFICIENT_CREDIT');
    widget.workspace.credit -= 1;
    this.#counts.set(widgetKey, (this.#counts.get(widgetKey) ?? 0) + 1);
    this.#counts.set(visitorKey, (this.#counts.get(visitorKey) ?? 0) + 1);
    const token = randomBytes(18).toString('base64url');
    if (this.#sessions.size >= 10_000) this.#purge();
    this.#sessions.set(token, {
      widget: widget.id,
      visitor: visitor.label,
      expires: this.clock.now() + this.ttlMs,
    });
    return { token };
  }

  #purge(): void {
    const now = this.clock.now();
    for (const [token, session] of this.#sessions) if (session.expires <= now) this.#sessions.delete(token);
  }

  message(token: string | undefined, text: string): { received: true } {
    const session = token ? this.#sessions.get(token) : undefined;
    if (!session || session.expires <= this.clock.now()) throw errors.create('WIDGET_SESSION_EXPIRED');
    const inbox = this.#inbox.get(session.widget) ?? [];
    inbox.push({ visitor: session.visitor, text, at: new Date(this.clock.now()).toISOString() });
    if (inbox.length > inboxSize) inbox.splice(0, inbox.length - inboxSize);
    this.#inbox.set(session.widget, inbox);
    return { received: true };
  }

  /** The messages visitors sent through a widget of `workspace`. */
  messages(workspace: Workspace, id: string) {
    return this.#inbox.get(this.of(workspace, id).id) ?? [];
  }
}
