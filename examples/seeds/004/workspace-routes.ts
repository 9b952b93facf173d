/**
 * Workspace routes: creating one, its telephony settings (provider, numbers, agents, Do-Not-Call list,
 * destination countries), contacts, calls and listeners, branding and widgets. Every route under
 * `/workspaces/:ws` is for signed-in, verified members of that workspace. What a workspace holds is capped
 * (`WorkspaceCaps`), as are the workspaces a user owns.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sValidator } from '@hono/standard-validator';
import type { MiddlewareHandler } from 'hono';
import type * as z from 'zod';
import { errors } from './catalog.js';
import { type Env, type Kit, param, readBytes } from './http.js';
import { schemas } from './schemas.js';
import { Widgets } from './widgets.js';
import { requireRoom, workspaceView } from './workspaces.js';

export interface WorkspaceRouteOptions {
  /** The folder call recordings are written to, made on first use. */
  storage: () => Promise<string>;
  /** How long an agent training run lasts. */
  trainingMs: number;
  /** The limits of `POST …/calls`. */
  callGuards: MiddlewareHandler<Env>;
  /** How long a request body may stall, in ms, before 408. */
  readTimeout: number;
}

export function workspaceRoutes(kit: Kit, options: WorkspaceRouteOptions): void {
  const { app, faults, identity, workspaces, calls, widgets, signedIn, member } = kit;
  const v = <S extends z.ZodType>(schema: S) => sValidator('json', schema, faults.validationHook);

  app.get('/workspaces', signedIn, (c) => c.json(workspaces.of(c.get('user').id).map(workspaceView)));
  // A new workspace starts on a trial, with no provider credential yet.
  app.post('/workspaces', signedIn, faults.json(), v(schemas.workspace), (c) => {
    identity.requireVerified(c.get('user'));
    const workspace = workspaces.create(c.get('user').id, { name: c.req.valid('json').name });
    return c.json(workspaceView(workspace), 201);
  });

  const ws = '/workspaces/:ws';
  // `/workspaces/:ws/*` also matches `/workspaces/:ws` itself.
  app.use(`${ws}/*`, signedIn, member);
  app.get(ws, (c) => c.json(workspaceView(c.get('workspace'))));

  // Telephony settings. The credential is write-only: no answer carries it.
  app.put(`${ws}/provider`, faults.json(), v(schemas.provider), (c) => {
    const workspace = c.get('workspace');
    workspaces.requireActive(workspace);
    const { id, credential } = c.req.valid('json');
    workspace.provider = { id, credential };
    return c.json(workspaceView(workspace).provider);
  });
  app.post(`${ws}/numbers`, faults.json(), v(schemas.number), (c) =>
    c.json(workspaces.addNumber(c.get('workspace'), c.req.valid('json').number), 201),
  );
  app.post(`${ws}/agents`, faults.json(), v(schemas.agent), (c) => {
    const { name, voice } = c.req.valid('json');
    const { training: _, ...agent } = workspaces.addAgent(c.get('workspace'), name, voice);
    return c.json(agent, 201);
  });
  app.post(`${ws}/dnc`, faults.json(), v(schemas.dnc), (c) => {
    workspaces.addDnc(c.get('workspace'), c.req.valid('json').number);
    return c.json({ number: c.req.valid('json').number }, 201);
  });
  // The one-click "Enable <country>" button of DESTINATION_COUNTRY_NOT_ENABLED.
  app.post(`${ws}/outbound-destinations/:code/enable`, (c) => {
    const parsed = schemas.country.safeParse(param(c, 'code').toUpperCase());
    if (!parsed.success) throw errors.create('RESOURCE_NOT_FOUND');
    const workspace = c.get('workspace');
    workspaces.requireActive(workspace);
    workspace.countries.add(parsed.data);
    return c.json({ countries: [...workspace.countries] });
  });

  // Contacts
  app.post(`${ws}/contacts`, faults.json(), v(schemas.contact), (c) => {
    const contact = workspaces.addContact(c.get('workspace'), c.req.valid('json').name);
    return c.json(contact, 201, { etag: `"${contact.version}"` });
  });
  app.patch(`${ws}/contacts/:id`, faults.json(), v(schemas.contact), (c) => {
    const contact = workspaces.updateContact(
      c.get('workspace'),
      param(c, 'id'),
      c.req.valid('json').name,
      c.req.header('if-match'),
    );
    return c.json(contact, 200, { etag: `"${contact.version}"` });
  });

  // Agents
  app.post(`${ws}/agents/:id/transition`, faults.json(), v(schemas.transition), (c) => {
    const { training: _, ...agent } = workspaces.transition(
      c.get('workspace'),
      param(c, 'id'),
      c.req.valid('json').to,
    );
    return c.json(agent);
  });
  app.post(`${ws}/agents/:id/train`, (c) => {
    const agent = workspaces.train(c.get('workspace'), param(c, 'id'), options.trainingMs);
    return c.json({ id: agent.id, training: true }, 202);
  });

  // Calls and live-call listeners
  app.post(`${ws}/calls`, faults.json(), options.callGuards, v(schemas.call), async (c) => {
    const call = await calls.dial(c.get('workspace'), c.req.valid('json'));
    return c.json({ id: call.id, status: call.status }, 201);
  });
  app.post(`${ws}/calls/:id/hangup`, (c) => {
    const call = calls.hangup(c.get('workspace'), param(c, 'id'));
    return c.json({ id: call.id, status: call.status });
  });
  // Recordings are addressed by the call's own ids, never by a path from the request; 10 MB at most, read only
  // once the call is known, under the same bounds in size and time as a JSON body.
  app.put(`${ws}/calls/:id/recording`, async (c) => {
    const call = c.get('workspace').calls.get(param(c, 'id'));
    if (!call) throw errors.create('RESOURCE_NOT_FOUND');
    const audio = await readBytes(c.req.raw, { limit: 10 * 1024 * 1024, readTimeout: options.readTimeout });
    try {
      const folder = join(await options.storage(), call.workspace);
      await mkdir(folder, { recursive: true });
      await writeFile(join(folder, `${call.id}.wav`), audio);
    } catch (cause) {
      throw errors.create('STORAGE_ERROR', undefined, { cause });
    }
    return c.json({ stored: audio.byteLength }, 201);
  });
  app.post(`${ws}/calls/:id/listeners`, (c) =>
    c.json(calls.attach(c.get('workspace'), param(c, 'id'), c.get('user').id), 201),
  );
  app.delete(`${ws}/calls/:id/listeners`, (c) => {
    calls.detach(c.get('workspace'), param(c, 'id'), c.get('user').id);
    return c.body(null, 204);
  });

  // Branding (an entitlement) and widgets
  app.put(`${ws}/branding`, faults.json(), v(schemas.branding), (c) => {
    const workspace = c.get('workspace');
    workspaces.requireEntitlement(workspace, 'branding');
    workspace.branding = c.req.valid('json');
    return c.json(workspace.branding);
  });
  app.post(`${ws}/widgets`, faults.json(), v(schemas.widget), (c) => {
    const { origins, ...caps } = c.req.valid('json');
    const workspace = c.get('workspace');
    requireRoom(widgets.count(workspace), workspaces.caps.items);
    const widget = widgets.add({
      workspace,
      status: 'active',
      origins: [...new Set(origins.map((origin) => new URL(origin).origin))],
      ...caps,
    });
    return c.json(Widgets.view(widget), 201);
  });
  app.get(`${ws}/widgets/:id/messages`, (c) => c.json(widgets.messages(c.get('workspace'), param(c, 'id'))));
  app.patch(`${ws}/widgets/:id`, faults.json(), v(schemas.widgetStatus), (c) => {
    const widget = widgets.of(c.get('workspace'), param(c, 'id'));
    widget.status = c.req.valid('json').status;
    return c.json(Widgets.view(widget));
  });
}
