/** The records of the platform's in-memory state: what a project holds. */
import type { Limits } from './limits.js';
import type { Table } from './store.js';

export const environments = ['sandbox', 'pre-release', 'live'] as const;
export type Environment = (typeof environments)[number];

export interface Conversation {
  id: string;
  project: string;
  channel: string;
  startedAt: number;
  /** The id of its recording in the recording store (made by the store, never taken from a request). */
  recording?: string;
  /** The size of that recording, in bytes. */
  recordingBytes?: number;
}
export interface Chat {
  id: string;
  project: string;
  draft: string;
  lastActivity: number;
  ended: boolean;
  messages: { from: 'user' | 'agent'; text: string }[];
}
export interface Draft {
  id: string;
  project: string;
  functions: string[];
}
export interface Deployment {
  id: string;
  project: string;
  draft: string;
  version: string;
  environment: Environment;
}
export interface Flow {
  id: string;
  project: string;
  name: string;
  parameters: string[];
  functions: string[];
}
export interface Fn {
  id: string;
  project: string;
  name: string;
  code: string;
}
export interface Connector {
  id: string;
  project: string;
  name: string;
  url: string;
}
export interface PhoneNumber {
  id: string;
  project: string;
  connector: string;
}
export interface Variant {
  id: string;
  project: string;
  name: string;
  attributes: Record<string, string>;
  isDefault: boolean;
}

/** A test case: what the user says, and what the agent's reply must contain. */
export interface TestCase {
  id: string;
  say: string;
  expect: string;
}

export interface Project {
  id: string;
  account: string;
  conversations: Table<Conversation>;
  chats: Table<Chat>;
  drafts: Table<Draft>;
  deployments: Table<Deployment>;
  flows: Table<Flow>;
  functions: Table<Fn>;
  topics: Map<string, { name: string; content: string }>;
  connectors: Table<Connector>;
  phoneNumbers: Table<PhoneNumber>;
  variants: Table<Variant>;
  /** The names of its variants: a name is checked for duplicates here, not by a scan of the variants. */
  variantNames: Set<string>;
  /** The attribute names variants must fill, with their allowed values. */
  variantAttributes: Record<string, readonly string[]>;
  realtime: { schema: Record<string, unknown> | undefined; values: Partial<Record<Environment, unknown>> };
  smsTemplates: Table<{ id: string; body: string }>;
  testCases: Map<string, TestCase>;
  /** How much it may hold. */
  readonly limits: Limits;
  /** The bytes of its recordings, those being stored included. */
  recordingBytes: number;
}
