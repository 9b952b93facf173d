/**
 * Platform-admin routes: users and their role, impersonation, a workspace's plan, credit and lifecycle
 * (suspensions cascade from a workspace to its numbers and agents), forum bans, the page manager, support
 * administration and license issuing and revocation. Every one is for a signed-in platform admin.
 */
import { sValidator } from '@hono/standard-validator';
import type * as z from 'zod';
import { errors } from './catalog.js';
import { type Kit, param } from './http.js';
import { userView } from './identity.js';
import { schemas } from './schemas.js';
import { workspaceView } from './workspaces.js';

export function adminRoutes(kit: Kit): void {
  const { app, faults, identity, workspaces, community, support, licensing, signedIn, admin } = kit;
  const v = <S extends z.ZodType>(schema: S) => sValidator('json', schema, faults.validationHook);
  app.use('/admin/*', signedIn, admin);

  // Users and roles
  app.post('/admin/users', faults.json(), v(schemas.user), async (c) => {
    const { email, password, platformAdmin } = c.req.valid('json');
    return c.json(userView(await identity.create(email, password, platformAdmin)), 201);
  });
  app.get('/admin/users', (c) => {
    const user = identity.byEmail(c.req.query('email') ?? '');
    if (!user) throw errors.create('RESOURCE_NOT_FOUND');
    return c.json(userView(user));
  });
  app.post('/admin/impersonate', faults.json(), v(schemas.impersonate), (c) =>
    c.json({ token: identity.impersonate(c.get('user'), c.req.valid('json').target).token }),
  );

  // Workspaces: plan, credit, lifecycle
  const ws = '/admin/workspaces/:ws';
  app.put(`${ws}/subscription`, faults.json(), v(schemas.subscription), (c) => {
    const workspace = workspaces.get(param(c, 'ws'));
    const { plan, entitlements } = c.req.valid('json');
    workspace.plan = plan;
    if (entitlements) workspace.entitlements = new Set(entitlements);
    return c.json(workspaceView(workspace));
  });
  app.post(`${ws}/credit`, faults.json(), v(schemas.credit), (c) => {
    const workspace = workspaces.get(param(c, 'ws'));
    workspace.credit += c.req.valid('json').amount;
    return c.json({ credit: workspace.credit });
  });
  app.post(`${ws}/suspend`, (c) => {
    const workspace = workspaces.get(param(c, 'ws'));
    workspaces.suspend(workspace);
    return c.json(workspaceView(workspace));
  });
  app.post(`${ws}/resume`, (c) => {
    const workspace = workspaces.get(param(c, 'ws'));
    workspaces.resume(workspace);
    return c.json(workspaceView(workspace));
  });
  for (const action of ['suspend', 'resume'] as const) {
    app.post(`${ws}/numbers/:number/${action}`, (c) => {
      const number = param(c, 'number');
      const item = workspaces.setNumber(workspaces.get(param(c, 'ws')), number, action === 'suspend');
      return c.json({ number, ...item });
    });
    app.post(`${ws}/agents/:agent/${action}`, (c) => {
      const workspace = workspaces.get(param(c, 'ws'));
      const { training: _, ...view } = workspaces.setAgent(
        workspace,
        param(c, 'agent'),
        action === 'suspend',
      );
      return c.json(view);
    });
  }

  // Forum bans: they gate writes only.
  app.post('/admin/forum/bans', faults.json(), v(schemas.ban), (c) => {
    const { user } = c.req.valid('json');
    if (!identity.users.has(user)) throw errors.create('RESOURCE_NOT_FOUND');
    community.ban(user);
    return c.json({ user, banned: true }, 201);
  });
  app.delete('/admin/forum/bans/:user', (c) => {
    community.unban(param(c, 'user'));
    return c.body(null, 204);
  });

  // Page Manager
  app.post('/admin/pages', faults.json(), v(schemas.page), (c) => {
    const { slug, locale, body } = c.req.valid('json');
    return c.json(community.createPage(slug, locale, body), 201);
  });
  app.post('/admin/pages/:id/publish', (c) => c.json(community.publish(param(c, 'id'))));

  // Help & Support
  app.patch('/admin/support/tickets/:ref', faults.json(), v(schemas.status), (c) =>
    c.json({ status: support.transition(param(c, 'ref'), c.req.valid('json').status).status }),
  );
  app.post('/admin/support/tickets/:ref/draft', async (c) => c.json(await support.draft(param(c, 'ref'))));
  app.post('/admin/support/tickets/:ref/assign', faults.json(), v(schemas.assign), (c) =>
    c.json({ department: support.assign(param(c, 'ref'), c.req.valid('json').department).department }),
  );
  app.post('/admin/support/tickets/:ref/chat/claim', (c) =>
    c.json({ chat: support.claimChat(param(c, 'ref')).chat }),
  );
  app.post('/admin/support/departments', faults.json(), v(schemas.department), (c) => {
    const { slug, name } = c.req.valid('json');
    return c.json(support.addDepartment(slug, name), 201);
  });

  // White-label licensing: issuing and revoking
  app.post('/admin/licenses', faults.json(), v(schemas.license), (c) => {
    const { customer, seats, days, expiresAt } = c.req.valid('json');
    const until = expiresAt === undefined ? kit.now() + (days ?? 365) * 86_400_000 : Date.parse(expiresAt);
    if (until <= kit.now())
      throw errors.create('VALIDATION_FAILED', undefined, {
        fieldErrors: [{ pointer: '/expiresAt', detail: 'Must be in the future' }],
      });
    return c.json(licensing.issue(customer, until, seats), 201);
  });
  app.post('/admin/licenses/:id/revoke', (c) => c.json(licensing.revoke(param(c, 'id'))));
}
