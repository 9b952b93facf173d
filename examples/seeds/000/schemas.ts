/** The request bodies of the platform API. */
import * as z from 'zod';
import { roles } from './auth.js';

const name = z.string().min(1).max(100);

export const schemas = {
  token: z.object({ ttlSeconds: z.number().int().min(1).max(86_400).default(3600) }),
  account: z.object({ id: z.string().min(1).max(64) }),
  project: z.object({ id: z.string().min(1).max(64) }),
  user: z.object({ role: z.enum(roles), realtime: z.boolean().default(false) }),
  conversation: z.object({ channel: z.enum(['voice', 'chat', 'sms']) }),
  draft: z.object({ functions: z.array(z.string()).max(100).default([]) }),
  chat: z.object({ draftId: z.string().min(1) }),
  message: z.object({ text: z.string().min(1).max(4000) }),
  deployment: z.object({ draftId: z.string().min(1), version: z.string().regex(/^\d+\.\d+\.\d+$/) }),
  flow: z.object({ name, parameters: z.array(name).max(50).default([]) }),
  flowFunction: z.object({ name }),
  fn: z.object({ name, code: z.string().max(64_000) }),
  run: z.object({ input: z.unknown().optional() }),
  topic: z.object({ name, content: z.string().max(64_000) }),
  connector: z.object({ name, url: z.url({ protocol: /^https?$/ }).max(2048) }),
  number: z.object({ number: z.string().max(32), connectorId: z.string().max(64) }),
  variant: z.object({ name, attributes: z.record(z.string(), z.string()).default({}) }),
  rtSchema: z.object({ schema: z.unknown() }),
  rtValues: z.object({ values: z.unknown() }),
  sms: z.object({ body: z.string().min(1).max(1600) }),
  testCase: z.object({ id: name, say: z.string().min(1).max(4000), expect: z.string().max(4000) }),
  testRun: z.object({
    testCaseIds: z.array(z.string()).max(1000).optional(),
    draftId: z.string().min(1).optional(),
  }),
};
