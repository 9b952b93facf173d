/**
 * The community forum (public reads; bans gate writes and only writes; reactions from a fixed catalog) and
 * the CMS page manager.
 */
import { randomBytes } from 'node:crypto';
import { errors } from './catalog.js';

/** The operator-fixed reactions: open emoji pickers are unsupported, keeping tallies bounded. */
export const reactionCatalog = ['👍', '❤️', '🎉', '😂', '🤔'] as const;

export interface Page {
  id: string;
  slug: string;
  locale: string;
  status: 'draft' | 'published' | 'archived' | 'suspended';
  body: string;
}

export interface Thread {
  id: string;
  author: string;
  title: string;
  replies: { author: string; text: string }[];
  reactions: Map<string, Set<string>>;
}

/** What anyone may read of a thread: public content, banned readers included. */
const threadView = (thread: Thread) => ({
  id: thread.id,
  title: thread.title,
  author: thread.author,
  replies: thread.replies,
  reactions: Object.fromEntries([...thread.reactions].map(([emoji, who]) => [emoji, who.size])),
});

export class Community {
  readonly banned = new Set<string>();
  readonly threads = new Map<string, Thread>();
  readonly pages = new Map<string, Page>();

  // The forum: reads are public; a ban (`ForumBanGuard`) gates every write, and only writes.

  ban(user: string): void {
    this.banned.add(user);
  }

  unban(user: string): void {
    this.banned.delete(user);
  }

  #write(user: string): void {
    if (this.banned.has(user)) throw errors.create('FORUM_BANNED');
  }

  #thread(id: string): Thread {
    const thread = this.threads.get(id);
    if (!thread) throw errors.create('RESOURCE_NOT_FOUND');
    return thread;
  }

  /** The latest threads, newest last. */
  list() {
    return [...this.threads.values()].slice(-100).map(({ id, title }) => ({ id, title }));
  }

  read(id: string) {
    return threadView(this.#thread(id));
  }

  post(user: string, title: string) {
    this.#write(user);
    const thread: Thread = {
      id: `thr_${randomBytes(4).toString('hex')}`,
      author: user,
      title,
      replies: [],
      reactions: new Map(),
    };
    this.threads.set(thread.id, thread);
    return { id: thread.id, title };
  }

  reply(user: string, threadId: string, text: string) {
    this.#write(user);
    const thread = this.#thread(threadId);
    thread.replies.push({ author: user, text });
    return threadView(thread);
  }

  react(user: string, threadId: string, emoji: string) {
    this.#write(user);
    const thread = this.#thread(threadId);
    if (!(reactionCatalog as readonly string[]).includes(emoji)) throw errors.create('REACTION_NOT_ALLOWED');
    const who = thread.reactions.get(emoji) ?? new Set<string>();
    if (who.has(user)) who.delete(user);
    else who.add(user);
    thread.reactions.set(emoji, who);
    return { emoji, count: who.size };
  }

  createPage(slug: string, locale: string, body: string): Page {
    for (const page of this.pages.values())
      if (page.slug === slug && page.locale === locale) throw errors.create('PAGE_SLUG_TAKEN');
    const page: Page = { id: `pg_${randomBytes(4).toString('hex')}`, slug, locale, status: 'draft', body };
    this.pages.set(page.id, page);
    return page;
  }

  page(id: string): Page {
    const page = this.pages.get(id);
    if (!page) throw errors.create('PAGE_NOT_FOUND');
    return page;
  }

  published(slug: string, locale: string): Page {
    for (const page of this.pages.values())
      if (page.slug === slug && page.locale === locale && page.status === 'published') return page;
    throw errors.create('PAGE_NOT_FOUND');
  }

  publish(id: string): Page {
    const page = this.page(id);
    if (page.status !== 'draft') throw errors.create('PAGE_PUBLISH_REFUSED');
    page.status = 'published';
    return page;
  }
}
