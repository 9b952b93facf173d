/** What every route of the platform API uses: the caller, the caller's project, and bounded bodies. */
import type { IncomingMessage } from 'node:http';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { Auth, Credential, Permission, User } from './auth.js';
import type { errors } from './catalog.js';
import type { Platform } from './domain.js';
import { readBody, readCsv } from './http.js';
import type { Project } from './model.js';
import type { RecordingStore } from './recordings.js';
import type { UpstreamPolicy } from './upstream.js';

type Code = Parameters<typeof errors.create>[0];

/** The options the routes take besides the domain. */
export interface RouteOptions {
  /** Where recordings are kept. */
  readonly recordings: RecordingStore;
  /** The largest recording accepted, in bytes. */
  readonly recordingLimit: number;
  /** How long a body may stall between chunks, in ms. */
  readonly readTimeout: number;
  /** Where connector tests may go. */
  readonly upstream: UpstreamPolicy;
}

/** The helpers routes share. */
export interface Kit {
  readonly platform: Platform;
  readonly auth: Auth;
  readonly options: RouteOptions;
  /** The authenticated caller, holding `permission`. */
  caller(req: IncomingMessage, permission: Permission): User;
  /** The same caller with what it authenticated with (its API key, or a bearer token and its expiry). */
  credential(req: IncomingMessage, permission: Permission): Credential;
  /** The caller's project `id`: authentication and permission first, then existence in the caller's account. */
  project(req: IncomingMessage, id: string, permission?: Permission): Project;
  body<S extends StandardSchemaV1>(
    req: IncomingMessage,
    schema: S,
    code?: Code,
  ): Promise<StandardSchemaV1.InferOutput<S>>;
  csv(req: IncomingMessage, unsupported: () => Error): Promise<string>;
}

export function kit(platform: Platform, auth: Auth, options: RouteOptions): Kit {
  const credential = (req: IncomingMessage, permission: Permission): Credential => {
    const found = auth.credential({ headers: req.headers });
    auth.authorize(found.user, permission);
    return found;
  };
  const caller = (req: IncomingMessage, permission: Permission): User => credential(req, permission).user;
  return {
    platform,
    auth,
    options,
    caller,
    credential,
    project: (req, id, permission = 'read') => platform.project(caller(req, permission).account, id),
    body: (req, schema, code) => readBody(req, schema, code, options.readTimeout),
    csv: (req, unsupported) => readCsv(req, unsupported, options.readTimeout),
  };
}
