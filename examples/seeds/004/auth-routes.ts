/**
 * Auth & identity routes: sign-up and its mailed verification, password reset, sign-in, refresh, the caller's
 * own account.
 */
import { sValidator } from '@hono/standard-validator';
import type { MiddlewareHandler } from 'hono';
import type * as z from 'zod';
import { bearer, type Env, type Kit } from './http.js';
import { userView } from './identity.js';
import { schemas } from './schemas.js';

export interface AuthRouteOptions {
  /** The per-address limit of the routes that hash a password: sign-up, sign-in, password reset. */
  passwordLimit: MiddlewareHandler<Env>;
  /** The per-user limit of address changes, each of which sends a mail. */
  emailChangeLimit: MiddlewareHandler<Env>;
}

export function authRoutes(
  { app, faults, identity, resets, signedIn }: Kit,
  options: AuthRouteOptions,
): void {
  const v = <S extends z.ZodType>(schema: S) => sValidator('json', schema, faults.validationHook);
  const { passwordLimit, emailChangeLimit } = options;

  // Answered alike for a new address and a taken one: the mail says which, to the address's owner.
  app.post('/auth/signup', passwordLimit, faults.json(), v(schemas.signup), async (c) => {
    const { email, password } = c.req.valid('json');
    await identity.signUp(email, password);
    return c.json({ sent: true }, 202);
  });
  app.post('/auth/verify-email', faults.json(), v(schemas.verifyEmail), (c) =>
    c.json(userView(identity.verifyEmail(c.req.valid('json').token))),
  );
  // Answered alike for every address: the token goes only to an account's own mailbox.
  app.post('/auth/forgot-password', faults.json(), v(schemas.forgotPassword), (c) => {
    resets.request(c.req.valid('json').email);
    return c.json({ sent: true }, 202);
  });
  app.post('/auth/reset-password', passwordLimit, faults.json(), v(schemas.resetPassword), async (c) => {
    const { token, password } = c.req.valid('json');
    await resets.reset(token, password);
    return c.body(null, 204);
  });
  app.post('/auth/login', passwordLimit, faults.json(), v(schemas.login), async (c) => {
    const { email, password } = c.req.valid('json');
    return c.json({ token: (await identity.login(email, password)).token });
  });
  app.post('/auth/google', faults.json(), v(schemas.google), async (c) =>
    c.json({ token: (await identity.google(c.req.valid('json').id_token)).token }),
  );
  app.post('/auth/refresh', (c) => c.json({ token: identity.refresh(bearer(c)).token }));

  app.get('/me', signedIn, (c) => c.json(userView(c.get('user'))));
  // Answered alike for a free address and a taken one; the change waits for the link mailed to it.
  // The per-user budget counts only requests that may mail: after the body is read and checked, and after an
  // impersonation session (which may not change the address) is refused. The session is read again once the
  // body is in: one ended meanwhile (a refresh sent while the body trickled in) acts for no one, and would
  // leave the budget without a key.
  const stillSignedIn: MiddlewareHandler<Env> = async (c, next) => {
    identity.denyImpersonation(identity.session(bearer(c)).session);
    await next();
  };
  app.patch('/me/email', signedIn, faults.json(), v(schemas.email), stillSignedIn, emailChangeLimit, (c) => {
    identity.requestEmailChange(c.get('user'), c.req.valid('json').email);
    return c.json({ sent: true }, 202);
  });
}
