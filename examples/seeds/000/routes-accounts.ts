/**
 * Identity routes: tokens, keys, accounts, projects and users. An account's admin manages its users
 * and their keys; another account is answered exactly as one that does not exist.
 */
import type { IncomingMessage } from 'node:http';
import type { Router } from 'faultline/node';
import type { User } from './auth.js';
import { errors } from './catalog.js';
import { created } from './http.js';
import type { Kit } from './kit.js';
import { schemas } from './schemas.js';

export function accountRoutes(router: Router, { platform, auth, caller, body }: Kit): Router {
  /** The caller, an admin of `account`: membership first (404), then the role (403). */
  const admin = (req: IncomingMessage, account: string): User => {
    const user = caller(req, 'read');
    if (account !== user.account) throw errors.create('ACCOUNT_NOT_FOUND');
    auth.authorize(user, 'account');
    return user;
  };
  const shown = (user: User) => ({
    id: user.id,
    account: user.account,
    role: user.role,
    realtime: user.realtime,
  });

  return router
    .post('/v1/auth/tokens', async (req, res) => {
      const user = caller(req, 'read');
      const { ttlSeconds } = await body(req, schemas.token);
      created(res, { token: auth.issueToken(user, ttlSeconds * 1000), expiresIn: ttlSeconds });
    })
    .delete('/v1/auth/tokens/current', (req, res) => {
      caller(req, 'read');
      auth.revokeBearer(req.headers.authorization);
      res.writeHead(204).end();
    })
    .post('/v1/auth/keys', (req, res) => {
      // Rotation: the caller's keys and tokens are revoked, and the new key is shown this once.
      const user = caller(req, 'read');
      created(res, { key: auth.rotateKey(user) });
    })
    .post('/v1/accounts', async (req, res) => {
      caller(req, 'account');
      const account = platform.createAccount((await body(req, schemas.account)).id);
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
      const user = admin(req, params.account!);
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
      const user = admin(req, params.account!);
      created(res, { key: auth.rotateKey(auth.user(user.account, params.user!)) });
    })
    .delete('/v1/accounts/:account/users/:user/keys', (req, res, { params }) => {
      const user = admin(req, params.account!);
      auth.revokeKeys(auth.user(user.account, params.user!));
      res.writeHead(204).end();
    });
}
