/**
 * The community forum (public reads; bans gate writes and only writes; reactions from a fixed catalog) and
 * the CMS page manager. A thread holds a bounded number of replies and is read a page of replies at a time,
 * so that no answer grows with the thread.
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

/** The replies a thread holds by default: past it, a reply is refused. */
export const repliesMax = 1000;
/** Replies in one page of a thread read: by default, and at most. */
export const replyPage = { size: 50, max: 100 } as const;

/** A window of a thread's replies: `offset` is the index of the first one. */
export interface ReplyWindow {
  offset: number;
  limit: number;
}

/**
 * What anyone may read of a thread, banned readers included: one page of its replies, and the offset of the
 * next page (`null` after the last).
 */
const threadView = (thread: Thread, { offset, limit }: ReplyWindow) => {
  const replies = thread.replies.slice(offset, offset + limit);
  const next = offset + replies.length;
  return {
    id: thread.id,
    title: thread.title,
    author: thread.author,
    reactions: Object.fromEntries([...thread.reactions].map(([emoji, who]) => [emoji, who.size])),
    replyCount: thread.replies.length,
    offset,
    replies,
    nextOffset: next < thread.replies.length ? next : null,
  };
};

export class Community {
  readonly banned = new Set<string>();
  readonly threads = new Map<string, Thread>();
  readonly pages = new Map<string, Page>();

  /** @param maxReplies the replies a thread holds; past it, `QUOTA_EXCEEDED` (the per-resource quota). */
  constructor(private readonly maxReplies = repliesMax) {}

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

  read(id: string, window: ReplyWindow = { offset: 0, limit: replyPage.size }) {
    return threadView(this.#thread(id), window);
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
    if (thread.replies.length >= this.maxReplies) throw errors.create('QUOTA_EXCEEDED');
    thread.replies.push({ author: user, text });
    // The new reply alone: its index is where a reader's page finds it.
    return { thread: thread.id, index: thread.replies.length - 1, author: user, text };
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
