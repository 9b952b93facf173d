/** The request bodies of seed 004, as zod schemas: a body that fails one answers VALIDATION_FAILED. */
import * as z from 'zod';
import { countryCodes } from './calls.js';
import { replyPage } from './community.js';
import { entitlementNames, providerIds } from './workspaces.js';

const email = z.email().max(254);
const password = z.string().min(12).max(200);
const e164 = z.string().regex(/^\+\d{6,15}$/);
const destination = z.string().regex(/^\+\d{3,15}$/);

/**
 * A count in the query string, in decimal digits only: `0x2`, `1e2`, ` 1` and an empty value are refused
 * alike, where a number coercion would read the first three and take the last for 0.
 */
const queryCount = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,16}$/, 'Expected a whole number in decimal digits')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
const id = z.string().min(1).max(100);

export const schemas = {
  // Auth & identity
  signup: z.object({ email, password }),
  verifyEmail: z.object({ token: z.string().min(1).max(100) }),
  forgotPassword: z.object({ email }),
  resetPassword: z.object({ token: z.string().min(1).max(100), password }),
  login: z.object({ email: z.string().max(254), password: z.string().max(200) }),
  google: z.object({ id_token: z.string() }),
  impersonate: z.object({ target: id }),
  email: z.object({ email }),
  // Workspaces
  workspace: z.object({ name: z.string().min(1).max(100) }),
  provider: z.object({ id: z.enum(providerIds), credential: z.string().min(1).max(500).optional() }),
  number: z.object({ number: e164 }),
  agent: z.object({ name: z.string().min(1).max(100), voice: z.string().min(1).max(50).optional() }),
  dnc: z.object({ number: destination }),
  contact: z.object({ name: z.string().min(1).max(200) }),
  transition: z.object({ to: z.enum(['draft', 'published', 'archived']) }),
  call: z.object({ from: e164, to: destination, agent: id, operator: id.optional() }),
  branding: z.object({ logoUrl: z.url(), primaryColor: z.string().regex(/^#[0-9a-f]{6}$/i) }),
  widget: z.object({
    origins: z
      .array(z.url({ protocol: /^https?$/ }).max(200))
      .min(1)
      .max(20),
    maxSessionsPerDay: z.number().int().min(1).max(1_000_000),
    maxSessionsPerVisitorPerDay: z.number().int().min(1).max(10_000),
  }),
  widgetStatus: z.object({ status: z.enum(['active', 'paused', 'archived']) }),
  country: z.enum(countryCodes),
  // Platform admin
  user: z.object({ email, password, platformAdmin: z.boolean().default(false) }),
  subscription: z.object({
    plan: z.enum(['none', 'trial', 'active', 'canceled']),
    entitlements: z.array(z.enum(entitlementNames)).max(entitlementNames.length).optional(),
  }),
  credit: z.object({ amount: z.number().int().min(1).max(1_000_000) }),
  ban: z.object({ user: id }),
  // Forum, widgets, pages
  thread: z.object({ title: z.string().min(1).max(200) }),
  reply: z.object({ text: z.string().min(1).max(5000) }),
  // A page of a thread's replies, from the query string.
  replyPage: z.object({
    offset: queryCount(0, Number.MAX_SAFE_INTEGER).default(0),
    limit: queryCount(1, replyPage.max).default(replyPage.size),
  }),
  reaction: z.object({ emoji: z.string().min(1).max(16) }),
  widgetSession: z.object({ visitorId: z.string().min(1).max(100) }),
  widgetMessage: z.object({ text: z.string().min(1).max(2000) }),
  page: z.object({
    slug: z
      .string()
      .regex(/^[a-z0-9-]+$/)
      .max(100),
    locale: z.string().regex(/^[a-z]{2}$/),
    body: z.string().max(100_000),
  }),
  // Support
  ticket: z.object({ email, subject: z.string().min(1).max(200) }),
  status: z.object({ status: z.enum(['open', 'pending', 'resolved', 'closed']) }),
  department: z.object({
    slug: z
      .string()
      .regex(/^[a-z0-9-]+$/)
      .max(100),
    name: z.string().min(1).max(100),
  }),
  assign: z.object({ department: id }),
  track: z.object({ ref: id, email: z.string().max(254) }),
  verify: z.object({ ref: id, email: z.string().max(254), otp: z.string().max(20) }),
  // Licensing: validity in days from now, or until a moment in the future.
  license: z.object({
    customer: z.string().min(1).max(200),
    seats: z.number().int().min(1).max(100_000),
    days: z.number().int().min(1).max(3650).optional(),
    expiresAt: z.iso.datetime().optional(),
  }),
  activate: z.object({
    license: z.string().max(4096),
    instanceId: z.string().min(1).max(200),
    access: z.enum(['read', 'write']).optional(),
  }),
};
