/** The community forum (bans gate writes, reactions from a fixed catalog) and the CMS page manager. */
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

export class Community {
  readonly banned = new Set<string>();
  readonly threads = new Map<
    string,
    { id: string; author: string; title: string; reactions: Map<string, Set<string>> }
  >();
  readonly pages = new Map<string, Page>();

  post(user: string, title: string) {
    if (this.banned.has(user)) throw errors.create('FORUM_BANNED');
    const thread = { id: `thr_${randomBytes(4).toString('hex')}`, author: user, title, reactions: new Map() };
    this.threads.set(thread.id, thread);
    return { id: thread.id, title };
  }

  react(user: string, threadId: string, emoji: string) {
    if (this.banned.has(user)) throw errors.create('FORUM_BANNED');
    const thread = this.threads.get(threadId);
    if (!thread) throw errors.create('RESOURCE_NOT_FOUND');
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
