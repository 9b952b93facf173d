/**
 * Identity routes: tokens, keys, accounts, projects and users. An account's admin manages its users
 * and their keys; another account is answered exactly as one that does not exist.
 */
import type { IncomingMessage } from 'node:http';
import type { Router } from 'faultline/node';
import type { Credential, User } from './auth.js';
import { errors } from './catalog.js';
import { created } from './http.js';
import type { Kit } from './kit.js';
import { schemas } from './schemas.js';

export function accountRoutes(router: Router, { platform, auth, caller, credential, body }: Kit): Router {
  /** The caller, an admin of `account`: membership first (404), then the role (403). */
  const adminCredential = (req: IncomingMessage, account: string): Credential => {
    const found = credential(req, 'read');
    if (account !== found.user.account) throw errors.create('ACCOUNT_NOT_FOUND');
    auth.authorize(found.user, 'account');
    return found;
  };
  const admin = (req: IncomingMessage, account: string): User => adminCredential(req, account).user;
  /** The same admin, holding its API key: what answers with a new key needs the key, never a token. */
  const keyAdmin = (req: IncomingMessage, account: string): User =>
    auth.keyHolder(adminCredential(req, account));
  const shown = (user: User) => ({
    id: user.id,
    account: user.account,
    role: user.role,
    realtime: user.realtime,
  });

  return router
    .post('/v1/auth/tokens', async (req, res) => {
      const from = credential(req, 'read');
      const { ttlSeconds } = await body(req, schemas.token);
      // A token asking for a token gets one that expires with it at the latest.
      const { token, ttlMs } = auth.issueToken(from, ttlSeconds * 1000);
      created(res, { token, expiresIn: Math.floor(ttlMs / 1000) });
    })
    .delete('/v1/auth/tokens/current', (req, res) => {
      caller(req, 'read');
      auth.revokeBearer(req.headers.authorization);
      res.writeHead(204).end();
    })
    .post('/v1/auth/keys', (req, res) => {
      // Rotation: the caller's keys and tokens are revoked, and the new key is shown this once. Only the
      // key's holder rotates it: a leaked token must not become a permanent key that locks the owner out.
      const user = auth.keyHolder(credential(req, 'read'));
      created(res, { key: auth.rotateKey(user) });
    })
    .post('/v1/accounts', async (req, res) => {
      const user = auth.keyHolder(credential(req, 'account'));
      const account = platform.createAccount((await body(req, schemas.account)).id, user.account);
      const first = auth.addUser({ account: account.id, role: 'admin', realtime: true });
      created(res, { id: account.id, admin: { ...shown(first.user), key: first.key } });
    })
    .get('/v1/accounts/:account', (req, _res, { params }) => {
      const user = caller(req, 'read');
      if (params.account !== user.account) throw errors.create('ACCOUNT_NOT_FOUND');
      return platform.account(params.account);
    })
    .post('/v1/accounts/:account/projects', async (req, res, { params }) => {
      const user = admin(req, params.account!);
      const { id } = await body(req, schemas.project);
      const made = platform.createProject(user.account, id);
      created(res, { id: made.id, account: made.account });
    })
    .post('/v1/accounts/:account/users', async (req, res, { params }) => {
      const user = keyAdmin(req, params.account!);
      const input = await body(req, schemas.user);
      const added = auth.addUser({ account: user.account, role: input.role, realtime: input.realtime });
      created(res, { ...shown(added.user), key: added.key });
    })
    .delete('/v1/accounts/:account/users/:user', (req, res, { params }) => {
      const user = admin(req, params.account!);
      auth.removeUser(auth.user(user.account, params.user!));
      res.writeHead(204).end();
    })
    .post('/v1/accounts/:account/users/:user/keys', (req, res, { params }) => {
      const user = keyAdmin(req, params.account!);
      created(res, { key: auth.rotateKey(auth.user(user.account, params.user!)) });
    })
    .delete('/v1/accounts/:account/users/:user/keys', (req, res, { params }) => {
      const user = admin(req, params.account!);
      auth.revokeKeys(auth.user(user.account, params.user!));
      res.writeHead(204).end();
    });
}
