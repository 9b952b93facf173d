/** The request bodies of seed 004, as zod schemas: a body that fails one answers VALIDATION_FAILED. */
import * as z from 'zod';

export const schemas = {
  login: z.object({ email: z.string(), password: z.string() }),
  google: z.object({ id_token: z.string() }),
  impersonate: z.object({ target: z.string() }),
  email: z.object({ email: z.email() }),
  contact: z.object({ name: z.string().min(1).max(200) }),
  transition: z.object({ to: z.enum(['draft', 'published', 'archived']) }),
  call: z.object({
    from: z.string().regex(/^\+\d{6,15}$/),
    to: z.string().regex(/^\+\d{3,15}$/),
    agent: z.string(),
    operator: z.string().optional(),
  }),
  branding: z.object({ logoUrl: z.url(), primaryColor: z.string().regex(/^#[0-9a-f]{6}$/i) }),
  thread: z.object({ title: z.string().min(1).max(200) }),
  reaction: z.object({ emoji: z.string().min(1).max(16) }),
  widgetSession: z.object({ visitorId: z.string().min(1).max(100) }),
  widgetMessage: z.object({ text: z.string().min(1).max(2000) }),
  page: z.object({
    slug: z.string().regex(/^[a-z0-9-]+$/),
    locale: z.string().regex(/^[a-z]{2}$/),
    body: z.string(),
  }),
  ticket: z.object({ email: z.email(), subject: z.string().min(1).max(200) }),
  status: z.object({ status: z.enum(['open', 'pending', 'resolved', 'closed']) }),
  department: z.object({ slug: z.string().regex(/^[a-z0-9-]+$/), name: z.string().min(1) }),
  assign: z.object({ department: z.string() }),
  track: z.object({ ref: z.string(), email: z.string() }),
  verify: z.object({ ref: z.string(), email: z.string(), otp: z.string() }),
  license: z.object({
    customer: z.string().min(1),
    days: z.number().int().min(1),
    seats: z.number().int().min(1),
  }),
  activate: z.object({ license: z.string(), instanceId: z.string().min(1) }),
};
