/**
 * Seed 003: the call-control gateway of reference page 003 on Express. Every request names its app in
 * `X-App-ID` and proves it with `X-API-Key`; admin routes take `X-Admin-API-Key`. Bodies are JSON, 1 MiB
 * by default and 64 KiB on command routes; requests are rate limited per app (its own `rate_limit`) and
 * per IP, commands per command group. Apps, limits, sessions and rooms live in memory, or in Redis with
 * `REDIS_URL`; when Redis is down the gateway answers its generic 500 and stays up. Sessions and rooms
 * are bounded per app, and an idle session ends (`CallBounds`).
 */
import { createServer, type Server } from 'node:http';
import express, { type Request, type RequestHandler } from 'express';
import { createExpressErrors, guard } from 'faultline/express';
import {
  adminKey,
  apiKey,
  byHeader,
  byIp,
  cooldown,
  type FailurePolicy,
  rateLimit,
  requireHeader,
} from 'faultline/guards';
import { validate } from 'faultline/server';
import { memoryStore, type RedisSend, redisStore } from 'faultline/stores';
import * as z from 'zod';
import { headTimeouts } from '../shared/head-timeouts.js';
import { type LogSink, listen, logErrors, type Running, refuseConnect } from '../shared/run.js';
import { type AppStore, memoryApps, redisApps } from './apps.js';
import { type CallBounds, memoryCalls, redisCalls } from './calls.js';
import { errors, format } from './catalog.js';
import { type CommandBody, checkCommand, commands, Gateway, isCommand, isMintedId } from './domain.js';

/** Options of seed 003. */
export interface SeedOptions {
  /** The admin key; when unset or empty, admin routes answer 503. @default process.env.ADMIN_API_KEY */
  adminApiKey?: string | undefined;
  /** Whether the recording service is enabled. @default process.env.RECORDING_ENABLED === '1' */
  recording?: boolean;
  /** A Redis command function: app configuration and limits are then shared by every instance. */
  redis?: RedisSend;
  /** Requests per minute per IP. @default 1200 */
  ipRate?: number;
  /** The cooldown between two commands of one group on one session. @default 1000 ms */
  commandCooldown?: number;
  /** How many sessions and rooms are kept, and how long an idle session lives. @default 1000 each per app, 1 hour idle */
  bounds?: CallBounds;
  log?: LogSink;
}

/** An app's requests per minute when its configuration names none. */
const defaultAppRate = 600;
const appIdFormat = /^[A-Za-z0-9_-]{1,64}$/;
/**
 * A key a request can present in a header as it was set: visible ASCII without a comma. A comma makes two
 * keys, a header loses its outer spaces, and other scripts arrive as UTF-8 bytes the server reads back as
 * Latin-1; an inner space is refused too, for one plain rule.
 */
export const presentableKey = /^[\x21-\x2b\x2d-\x7e]+$/;
/** `POST /admin/apps/:app_id`: the app's key, and its requests per minute (600 when omitted). */
const appConfigBody = z.strictObject({
  api_key: z.string().min(16).max(256).regex(presentableKey),
  rate_limit: z.number().int().min(1).max(1_000_000).optional(),
});
// A lone surrogate is no character: stored as UTF-8 it becomes U+FFFD, and two names would be one.
const loneSurrogate = /\p{Cs}/u;
/** `POST /api/v1/conferences`: the room's name, unique per app (256 characters at most: it is kept). */
const conferenceBody = z.object({
  name: z
    .string()
    .min(1)
    .max(256)
    .refine((name) => !loneSurrogate.test(name)),
});
const appIdOf = byHeader('x-app-id');

/**
 * A key header sent twice, or holding two keys (what a framework makes of two lines), is a key that does not
 * match: the page's 401 for that key. The guards would refuse it as an invalid header, which this catalog
 * answers "Invalid X-App-ID format" and so names the wrong header.
 */
const oneKey =
  (header: string, code: 'INVALID_API_KEY' | 'INVALID_ADMIN_API_KEY'): RequestHandler =>
  (req, _res, next) => {
    const lines = req.headersDistinct[header];
    if (lines && (lines.length > 1 || lines.some((line) => line.includes(',')))) throw errors.create(code);
    next();
  };

/** True when a list header of the request names a coding other than `allowed`, on any of its lines. */
const namesOther = (req: Request, header: string, allowed: string): boolean =>
  (req.headersDistinct[header] ?? []).some((line) =>
    line.split(',').some((coding) => !['', allowed].includes(coding.trim().toLowerCase())),
  );

/**
 * A JSON body the gateway cannot parse because it decodes no coding is the page's "Invalid request body",
 * not a status or a text the page lacks: a transfer coding besides chunked (`gzip, chunked`, which RFC
 * 9112 §6.1 lets a server refuse with 400 as well as 501), and a content coding (`Content-Encoding: gzip`)
 * under the JSON type, where the page's 415 would blame a Content-Type the request has right; its
 * `Accept-Encoding: identity` says what is read (RFC 9110 §12.5.3). A coded body of another type keeps the
 * page's 415.
 */
function refuseCoding(req: Request): void {
  if (namesOther(req, 'transfer-encoding', 'chunked')) throw errors.create('INVALID_REQUEST_BODY');
  if (namesOther(req, 'content-encoding', 'identity') && req.is(['json', '+json']))
    throw errors.create('INVALID_REQUEST_BODY', undefined, { headers: { 'accept-encoding': 'identity' } });
}

/**
 * True when the request carries a body (RFC 9112 §6.3): it has a `Transfer-Encoding`, or a `Content-Length`
 * other than 0.
 */
const carriesBody = (req: Request): boolean =>
  req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';

export interface Seed {
  readonly server: Server;
  readonly gateway: Gateway;
  readonly apps: AppStore;
}

export function createSeed(options: SeedOptions = {}): Seed {
  const store = options.redis ? redisStore({ send: options.redis, prefix: 'gateway:' }) : memoryStore();
  const apps = options.redis ? redisApps(options.redis) : memoryApps();
  const gateway = new Gateway(
    { recording: options.recording ?? process.env.RECORDING_ENABLED === '1' },
    options.redis ? redisCalls(options.redis, 'gateway:', options.bounds) : memoryCalls(options.bounds),
  );
  const faults = createExpressErrors({ catalog: errors, format, onError: logErrors(options.log) });
  // A store outage (Redis down) is answered with the gateway's generic 500; the app-key lookup has its own.
  const internal = () => errors.create('INTERNAL_ERROR');
  const app = express();
  app.disable('x-powered-by');

  const appId = guard(requireHeader({ name: 'X-App-ID', format: appIdFormat, maxLength: 64 }));
  // Each client address first, before any key is looked up: a wrong key's guesses count, as every request does.
  // One budget for the API and the admin routes (one policy name on one store).
  const perAddress = (onStoreError: FailurePolicy) =>
    rateLimit({
      name: 'ip',
      key: byIp,
      limit: options.ipRate ?? 1200,
      period: '1m',
      algorithm: 'fixed-window',
      store,
      onStoreError,
    });
  // First on the API, before any header is checked: a request refused for its headers counts as well. In a
  // store outage it gives way: the key lookup after it answers the page's own 500 for that.
  const apiAddress = guard(perAddress('open'));
  const client = guard(
    apiKey({
      keys: async (request) => (await apps.get(appIdOf(request) ?? ''))?.apiKey,
      onStoreError: () => errors.create('API_KEY_LOOKUP_FAILED'),
    }),
    // The app's limit comes after the key check: the app it counts for is one the caller proved, never a
    // name it sent. Each app's own rate_limit (set by the admin route) is read per request, and counted in
    // a fixed window of a minute from the app's first request: the page's "rate window".
    rateLimit({
      name: 'app',
      key: appIdOf,
      limit: async (request) => (await apps.get(appIdOf(request) ?? ''))?.rateLimit ?? defaultAppRate,
      period: '1m',
      algorithm: 'fixed-window',
      store,
      onStoreError: () => internal(),
    }),
  );
  const commandCooldown = guard(
    cooldown({
      // Route middleware: the guard reads the session and the command from the route's parameters.
      key: (request) => {
        const uuid = request.params?.uuid;
        return uuid && `${appIdOf(request)}:${uuid}`;
      },
      group: (request) => {
        const path = request.params?.command ?? '';
        return isCommand(path) ? commands[path] : undefined;
      },
      interval: options.commandCooldown ?? 1000,
      store,
      onStoreError: () => internal(),
    }),
  );
  const appOf = (req: Request) => req.get('x-app-id')!;
  /** The JSON reader of a route, under `limit`, after the codings the gateway does not decode. */
  const jsonBody = (limit: string): RequestHandler => {
    const read = faults.json({ limit });
    return (req, res, next) => {
      refuseCoding(req);
      read(req, res, next);
    };
  };

  app.get('/health', (_req, res) => {
    res.json({ success: true });
  });

  const adminApiKey = options.adminApiKey ?? process.env.ADMIN_API_KEY;
  app.post(
    '/admin/apps/:app_id',
    // The address limit first, as on the API. The admin key is compared without the store: in an outage
    // the address limit refuses, never gives way.
    guard(perAddress(() => internal())),
    // Unconfigured, the admin API answers its 503 whatever key is sent.
    ...(adminApiKey ? [oneKey('x-admin-api-key', 'INVALID_ADMIN_API_KEY')] : []),
    guard(adminKey({ key: adminApiKey })),
    jsonBody('1mb'),
    async (req, res) => {
      if (!appIdFormat.test(String(req.params.app_id))) throw errors.create('INVALID_APP_ID');
      // Any JSON parses (`null`, a number, an array) and an empty body parses to nothing: check the shape.
      // A failed check raises the validation role, which this catalog answers as "Invalid request body".
      const { api_key, rate_limit = defaultAppRate } = await validate(appConfigBody, req.body);
      await apps.set(String(req.params.app_id), { apiKey: api_key, rateLimit: rate_limit });
      res.json({ success: true, app_id: req.params.app_id });
    },
  );

  app.use('/api/v1', apiAddress, appId, oneKey('x-api-key', 'INVALID_API_KEY'), client);
  // Calls arrive from the telephony side; this route stands for it and creates the session for the app.
  app.post('/api/v1/sessions', async (req, res) => {
    const session = await gateway.receive(appOf(req));
    res.status(201).json({ uuid: session.uuid });
  });
  app.get('/api/v1/sessions/:uuid', async (req, res) => {
    const { uuid, state, muted, room } = await gateway.session(appOf(req), String(req.params.uuid));
    res.json({ uuid, state, muted, room_id: room ?? null });
  });
  const commandOf = (req: Request) => (req.params as unknown as { command: string[] }).command.join('/');
  /** The command's fields: none when no body was read, and a body that is not an object is refused. */
  const bodyOf = (req: Request): CommandBody => {
    if (req.body === undefined) return {};
    if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body))
      throw errors.create('INVALID_REQUEST_BODY');
    return req.body as CommandBody;
  };
  // A request without a body is read as none, whatever its type: a command that takes none
  // (conference/leave, hangup) comes from clients that set the JSON type on every POST, and from `curl -X
  // POST`, which sends no Content-Length. A command that needs fields then answers their 400.
  const commandJson = jsonBody('64kb');
  const commandBody: RequestHandler = (req, res, next) =>
    carriesBody(req) ? commandJson(req, res, next) : next();
  app.post(
    '/api/v1/sessions/:uuid/commands/*command',
    commandBody,
    // What the request and the session as stored decide is refused before the cooldown. The cooldown also
    // gives its spend back when the command then fails (a 409 or 404 of a session changed meanwhile), once
    // that answer is sent; a 400 is refused before it spends, so the next command never races that give-back.
    async (req, _res, next) => {
      const command = checkCommand(commandOf(req), bodyOf(req), gateway.options);
      // An id the gateway never mints names no session, and spends no cooldown.
      const uuid = String(req.params.uuid);
      if (!isMintedId(uuid)) throw errors.create('SESSION_NOT_FOUND');
      await gateway.refuseByState(appOf(req), uuid, command);
      next();
    },
    commandCooldown,
    async (req, res) => {
      const command = checkCommand(commandOf(req), bodyOf(req), gateway.options);
      res.json(await gateway.run(appOf(req), String(req.params.uuid), command, bodyOf(req)));
    },
  );
  app.post('/api/v1/conferences', jsonBody('1mb'), async (req, res) => {
    const { name } = await validate(conferenceBody, req.body);
    const room = await gateway.createRoom(appOf(req), name);
    res.status(201).json({ room_id: room.id, name: room.name });
  });
  app.get('/api/v1/conferences/:room_id', async (req, res) => {
    const room = await gateway.room(appOf(req), String(req.params.room_id));
    res.json({ room_id: room.id, name: room.name, members: room.members });
  });
  // An action without a body: no Content-Type is required.
  app.post('/api/v1/conferences/:room_id/stop', async (req, res) => {
    await gateway.stopRoom(appOf(req), String(req.params.room_id));
    res.json({ success: true });
  });

  app.use(faults.notFound);
  app.use(faults.handler);
  // serve: a target Express's router cannot parse would get its HTML 404, not the page's JSON.
  const server = createServer(headTimeouts(), faults.serve(app));
  server
    .on('clientError', faults.clientError)
    .on('checkContinue', faults.checkContinue)
    .on('checkExpectation', faults.checkExpectation);
  refuseConnect(server, faults.clientError);
  return { server, gateway, apps };
}

/** Starts seed 003 on `port` (0: a free one). */
export async function start(port = 0, options: SeedOptions = {}): Promise<Running & { seed: Seed }> {
  const seed = createSeed(options);
  return { ...(await listen(seed.server, port)), seed };
}
