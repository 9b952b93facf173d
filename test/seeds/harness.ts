/**
 * The conformance harness of the seeds: each documented row of a reference page (the fixture facts) gets
 * a probe — a real request to the running seed — and the answer must carry exactly the row's status,
 * code, id and the page's body shape. A row no request can produce is listed with the reason.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { connect as tcp } from 'node:net';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Catalog } from 'faultline';
import { parseErrorParts } from 'faultline/client';
import type { ErrorFormat } from 'faultline/format';
import { createErrorHandler } from 'faultline/server';
import { expect } from 'vitest';
import type { LogLine } from '../../examples/seeds/shared/run.js';
import { type PageName, type ReferenceRow, referencePage } from '../fixtures/reference/index.js';

/** What a probe observed: an HTTP answer (also a WebSocket handshake refusal), an event, or a close. */
export type Observed =
  | { kind: 'http'; status: number; headers: Headers; body: string }
  | { kind: 'ws-event'; body: string }
  | { kind: 'ws-close'; code: number };

/** A probe: makes the request(s) that produce one row, returns what the last one observed. */
export type Probe = () => Promise<Observed>;

/** The key a row is matched by: its catalog code, else its status or close code. */
export function rowKey(row: ReferenceRow): string {
  if (row.catalogCode) return row.catalogCode;
  if (row.closeCode !== undefined) return `close ${row.closeCode}`;
  return `status ${row.status}`;
}

/** The rows of a page, each with its key; rows sharing a key (one code printed twice) keep one. */
export function rowsOf(page: PageName): { key: string; row: ReferenceRow }[] {
  const seen = new Set<string>();
  const rows: { key: string; row: ReferenceRow }[] = [];
  for (const row of referencePage(page).rows) {
    const key = rowKey(row);
    if (seen.has(key)) continue;
    seen.add(key);
    rows.push({ key, row });
  }
  return rows;
}

/** All documented rows of a page, duplicates included: the denominator of reachable/total. */
export const totalRows = (page: PageName) => referencePage(page).rows.length;

const keysOf = (value: unknown): unknown =>
  Array.isArray(value)
    ? value.length > 0
      ? [keysOf(value[0])]
      : []
    : typeof value === 'object' && value !== null
      ? Object.fromEntries(
          Object.keys(value)
            .sort()
            .map((k) => [k, keysOf((value as Record<string, unknown>)[k])]),
        )
      : typeof value;

/** The shape of a JSON body: its keys and value types, recursively (arrays by their first item). */
export const shapeOf = (body: string) => keysOf(JSON.parse(body));

export interface SeedContract {
  readonly catalog: Catalog<any>;
  readonly format: ErrorFormat;
  /** The response header carrying the correlation id. */
  readonly correlationHeader: string;
  /** The envelope of WebSocket error events, for `ws-event` rows. */
  readonly event?: ErrorFormat;
}

/**
 * Asserts that `observed` is exactly what `row` documents: status (the row's, or its code's when the page
 * states none), code and id as parsed back by the client, the catalog message, and the body shape the
 * format writes for that code (the page example's shape on the code it shows).
 */
export async function expectRow(
  contract: SeedContract,
  row: ReferenceRow,
  observed: Observed,
): Promise<void> {
  const { catalog } = contract;
  const format = row.channel === 'ws-event' && contract.event ? contract.event : contract.format;
  if (row.closeCode !== undefined) {
    expect(observed, `close ${row.closeCode}`).toMatchObject({ kind: 'ws-close', code: row.closeCode });
    return;
  }
  const entry = row.catalogCode ? catalog.get(row.catalogCode) : undefined;
  const status = row.status ?? entry?.status;
  if (row.channel === 'ws-event') {
    expect(observed.kind, rowKey(row)).toBe('ws-event');
  } else {
    expect(observed.kind, rowKey(row)).toBe('http');
    if (observed.kind === 'http') expect(observed.status, rowKey(row)).toBe(status);
  }
  if (observed.kind === 'ws-close') return;
  // An event has no HTTP status: 0, as a Response without one has, leaves the status to its body and code.
  const parsed = await parseErrorParts(
    { status: observed.kind === 'http' ? observed.status : 0, headers: {}, body: observed.body },
    { formats: [format], catalog },
  );
  // Events of a message-only envelope: the WebSocket client reads the code back from the message templates.
  if (observed.kind === 'ws-event' && parsed.message !== undefined && !catalog.byMessage(parsed.message)) {
    const match = catalog.match(parsed.message);
    if (match) Object.assign(parsed, { code: match.entry.code, details: match.details ?? parsed.details });
  }
  if (entry) {
    expect(parsed.code, rowKey(row)).toBe(entry.code);
    expect(parsed.id, rowKey(row)).toBe(row.id ?? entry.id);
    expect(parsed.message, rowKey(row)).toBe(entry.message.includes('{') ? parsed.message : entry.message);
  } else if (status !== undefined && status !== null) {
    expect(catalog.get(parsed.code)?.status, `${rowKey(row)}: ${parsed.code}`).toBe(status);
  }
  // The body is what the format writes for this code: same keys, same value types.
  const error = catalog.create(
    parsed.code as never,
    parsed.details as never,
    {
      message: parsed.message,
      ...(parsed.fieldErrors ? { fieldErrors: parsed.fieldErrors } : {}),
      ...(parsed.correlationId ? { correlationId: parsed.correlationId } : {}),
    } as never,
  );
  const expected = createErrorHandler({ catalog, format, onError: false }).handle(error, { url: '/' }).body;
  // An event also carries what only the occurrence has (its id, time, the echoed metadata).
  if (observed.kind === 'ws-event')
    expect(shapeOf(observed.body), rowKey(row)).toMatchObject(shapeOf(expected) as object);
  else expect(shapeOf(observed.body), rowKey(row)).toEqual(shapeOf(expected));
  if (observed.kind === 'http' && contract.correlationHeader) {
    const header = observed.headers.get(contract.correlationHeader);
    expect(header, `${rowKey(row)}: correlation header`).toBeTruthy();
    if (parsed.correlationId !== undefined) expect(parsed.correlationId).toBe(header);
  }
}

/** Reads a fetch answer into an observation. */
export async function observe(response: Response | Promise<Response>): Promise<Observed> {
  const res = await response;
  return { kind: 'http', status: res.status, headers: res.headers, body: await res.text() };
}

/** The reachable/total line of a seed, for the note and the test log. */
export function summary(
  page: PageName,
  reached: ReadonlySet<string>,
  unreachable: Record<string, string>,
): string {
  const rows = referencePage(page).rows.filter((row) => reached.has(rowKey(row))).length;
  const lines = [`seed ${page}: ${rows}/${totalRows(page)} documented rows produced by a real request`];
  for (const [key, reason] of Object.entries(unreachable)) lines.push(`  not producible: ${key} — ${reason}`);
  return lines.join('\n');
}

/** A shipped seed server in its own process, as `npx tsx examples/seeds/00N/server.ts` starts it. */
export interface SeedProcess {
  readonly url: string;
  /** `ws://…` of the same server. */
  readonly wsUrl: string;
  /** The JSON log lines the server wrote to stderr. */
  readonly log: LogLine[];
  /** Everything it printed on stdout. */
  readonly stdout: () => string;
  /** The port it listens on. */
  readonly port: number;
  /** Sends `signal` to the server process. */
  signal(signal: NodeJS.Signals): void;
  /** Resolves with the exit code once the process has exited. */
  readonly exited: Promise<number | null>;
  /** Kills the process (SIGKILL) and resolves when it is gone. */
  stop(): Promise<void>;
}

/** How a seed process is started beside its `env`. */
export interface SeedStartOptions {
  /** Variables of this process's environment that configure the seed, left out so that none leak in. */
  readonly isolate?: RegExp;
}

const root = resolve(import.meta.dirname, '../..');

/**
 * Starts `examples/seeds/<page>/server.ts` with `env` (and `PORT=0`) in its own process; resolves once it
 * prints `listening on <url>` and rejects if it exits first or does not listen within 30 s.
 */
export function startSeed(
  page: PageName,
  env: Record<string, string>,
  options: SeedStartOptions = {},
): Promise<SeedProcess> {
  const inherited = { ...process.env };
  if (options.isolate)
    for (const name of Object.keys(inherited)) if (options.isolate.test(name)) delete inherited[name];
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', `examples/seeds/${page}/server.ts`],
    { cwd: root, env: { ...inherited, ...env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const log: LogLine[] = [];
  let out = '';
  let err = '';
  let rest = '';
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      try {
        log.push(JSON.parse(line) as LogLine);
      } catch {
        // Not a log line (a warning of node itself).
      }
    }
  });
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`seed ${page} did not listen within 30 s:\n${out}${err}`));
    }, 30_000);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`seed ${page} exited with ${code} before listening:\n${out}${err}`));
    });
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const match = /listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(out);
      // The banner is one write: once the URL is in, so is whatever the seed prints beside it.
      if (!match) return;
      clearTimeout(timer);
      resolveStart({
        url: match[1]!,
        wsUrl: match[1]!.replace('http', 'ws'),
        port: Number(match[2]),
        log,
        stdout: () => out,
        signal: (signal) => child.kill(signal),
        exited,
        stop: async () => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGKILL');
          await exited;
        },
      });
    });
  });
}

/** A key made for one run: a seed takes no key written in the repository. */
export const secret = () => randomBytes(24).toString('base64url');

/** Writes `raw` on a new TCP connection and reads until the server closes it (5 s at most). */
export function rawRequest(port: number, raw: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tcp(port, '127.0.0.1', () => socket.write(raw));
    let answer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within 5 s; got ${JSON.stringify(answer)}`));
    }, 5000);
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      answer += chunk;
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
    socket.on('error', () => {});
  });
}

/** One mail as the seed POSTs it to its relay. */
export interface RelayedMail {
  to: string;
  subject: string;
  text: string;
}

/** A mail relay on 127.0.0.1 that keeps what it is sent (a seed's `MAIL_URL`), in the order it came. */
export interface MailRelay {
  readonly url: string;
  readonly mails: RelayedMail[];
  /** The mails to `to` whose subject contains `subject`, once at least `count` have come (at most 5 s). */
  to(to: string, subject: string, count?: number): Promise<RelayedMail[]>;
  close(): Promise<void>;
}

/** Starts a mail relay on a free port of 127.0.0.1; a body that is not JSON is answered 400 and not kept. */
export async function startMailRelay(): Promise<MailRelay> {
  const mails: RelayedMail[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      try {
        mails.push(JSON.parse(body));
      } catch {
        res.writeHead(400).end();
        return;
      }
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
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
