/**
 * Seed 004 as it ships: `examples/seeds/004/server.ts` in its own process (`node --import tsx`), configured
 * by environment only. Tests reach it over HTTP, read what it printed (its URL and credentials) and its
 * JSON log lines from stderr, and stop it by its pid. Its mail goes to a small relay of the test's own.
 */
import { createServer, type Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { type SeedProcess, startSeed } from './harness.js';

export type { SeedProcess };

/**
 * Starts the shipped server with `env` (and nothing of this process's environment that configures seed
 * 004) on a free port; rejects if it does not print its URL within 30 s.
 */
export function startSeed004(env: Record<string, string>): Promise<SeedProcess> {
  return startSeed('004', env, {
    isolate:
      /^(OWNER_|ADMIN_|PROVIDER_|DRAFT_|MAIL_|RECORDINGS_|LICENSE_|IDLE_|WIDGET_|TRAINING_|CALL_|IP_RATE|GOOGLE_|UNVERIFIED_|RESET_)/,
  });
}

/** One mail as the seed POSTs it to its relay. */
export interface RelayedMail {
  to: string;
  subject: string;
  text: string;
}

/** A mail relay on 127.0.0.1 that keeps what it is sent, for `MAIL_URL`. */
export interface MailRelay {
  readonly url: string;
  readonly mails: RelayedMail[];
  /** The mails to `to` whose subject contains `subject`, once at least `count` have come (at most 5 s). */
  to(to: string, subject: string, count?: number): Promise<RelayedMail[]>;
  close(): Promise<void>;
}

export async function startMailRelay(): Promise<MailRelay> {
  const mails: RelayedMail[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      mails.push(JSON.parse(body));
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/mail`,
    mails,
    async to(to, subject, count = 1) {
      for (let i = 0; i < 100; i++) {
        const found = mails.filter((m) => m.to === to && m.subject.includes(subject));
        if (found.length >= count) return found;
        await sleep(50);
      }
      throw new Error(`no mail "${subject}" to ${to}`);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
