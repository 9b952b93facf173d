/**
 * Routes outside workspaces: the forum (reads are public, writes need a verified user), widgets on the
 * visitor's side, published pages, the support desk's public side, and license activation by deployed
 * instances.
 */
import { sValidator } from '@hono/standard-validator';
import type { MiddlewareHandler } from 'hono';
import type * as z from 'zod';
import { bearer, clientOf, type Env, type Kit, param } from './http.js';
import { schemas } from './schemas.js';

export interface PublicRouteOptions {
  /** The per-address limit of anonymous ticket creation. */
  ticketLimit: MiddlewareHandler<Env>;
  /** The per-user limit of forum threads and replies. */
  forumLimit: MiddlewareHandler<Env>;
}

export function publicRoutes(kit: Kit, options: PublicRouteOptions): void {
  const { app, faults, community, widgets, support, licensing, signedIn, verified } = kit;
  const v = <S extends z.ZodType>(schema: S) => sValidator('json', schema, faults.validationHook);
  // The page gates workspaces on a verified address and says nothing of the forum. An unverified sign-up
  // costs no mailbox, so forum writes need a verified address too.
  const writer = [signedIn, verified] as const;

  // Community forum: anyone reads, banned users included; a ban refuses every write. A thread is read a page
  // of replies at a time (`?offset=&limit=`), so that no answer grows with the thread.
  app.get('/forum/threads', (c) => c.json(community.list()));
  app.get('/forum/threads/:id', sValidator('query', schemas.replyPage, faults.validationHook), (c) =>
    c.json(community.read(param(c, 'id'), c.req.valid('query'))),
  );
  app.post('/forum/threads', ...writer, options.forumLimit, faults.json(), v(schemas.thread), (c) =>
    c.json(community.post(c.get('user').id, c.req.valid('json').title), 201),
  );
  app.post(
    '/forum/threads/:id/replies',
    ...writer,
    options.forumLimit,
    faults.json(),
    v(schemas.reply),
    (c) => c.json(community.reply(c.get('user').id, param(c, 'id'), c.req.valid('json').text), 201),
  );
  app.post('/forum/threads/:id/reactions', ...writer, faults.json(), v(schemas.reaction), (c) =>
    c.json(community.react(c.get('user').id, param(c, 'id'), c.req.valid('json').emoji)),
  );

  // Widgets (public, visitor side). The visitor's daily cap counts per client address: the body's
  // `visitorId` is the visitor's to choose, so it only labels what they write.
  app.post('/widgets/:id/sessions', faults.json(), v(schemas.widgetSession), (c) =>
    c.json(
      widgets.start(param(c, 'id'), c.req.header('origin'), {
        label: c.req.valid('json').visitorId,
        client: clientOf(c),
      }),
      201,
    ),
  );
  app.post('/widget-sessions/messages', faults.json(), v(schemas.widgetMessage), (c) =>
    c.json(widgets.message(bearer(c), c.req.valid('json').text)),
  );

  // Published pages
  app.get('/pages/:slug', (c) =>
    c.json(community.published(param(c, 'slug'), c.req.query('locale') ?? 'en')),
  );

  // Help & Support, public side: no answer tells an unknown ticket from a wrong token.
  app.post('/support/tickets', options.ticketLimit, faults.json(), v(schemas.ticket), (c) => {
    const { email, subject } = c.req.valid('json');
    return c.json(support.open(email, subject), 201);
  });
  app.get('/support/tickets/:ref', (c) =>
    c.json(support.thread(param(c, 'ref'), c.req.query('token') ?? '')),
  );
  app.post('/support/tickets/:ref/chat', (c) => {
    support.thread(param(c, 'ref'), c.req.query('token') ?? '');
    return c.json({ chat: support.requestChat(param(c, 'ref')).chat });
  });
  app.post('/support/track', faults.json(), v(schemas.track), (c) => {
    const { ref, email } = c.req.valid('json');
    support.requestOtp(ref, email);
    return c.json({ sent: true }, 202);
  });
  app.post('/support/track/verify', faults.json(), v(schemas.verify), (c) => {
    const { ref, email, otp } = c.req.valid('json');
    return c.json(support.verifyOtp(ref, email, otp));
  });

  // White-label licensing, deployed side: activation, and the periodic check-in of an activated instance.
  app.post('/licenses/activate', faults.json(), v(schemas.activate), (c) => {
    const { license, instanceId, access } = c.req.valid('json');
    return c.json(licensing.activate(license, instanceId, access));
  });
}
