import type { Server } from 'node:http';
import type { ErrorEvent } from 'faultline/server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { adapters } from '../helpers/adapters.js';
import { close, listen, rawRequest } from '../helpers/http.js';
import { freePort, startCommand } from '../helpers/spawn.js';

/** The headers that matter to a client: what the suite compares across adapters. */
const compared = ['content-type', 'retry-after', 'allow', 'x-request-id'] as const;

interface Answer {
  status: number;
  headers: Record<string, string | undefined>;
  body: Record<string, unknown>;
}

type CreateApp = (options?: { onError?: (event: ErrorEvent) => void }) => Server | Promise<Server>;
const examples: Record<string, CreateApp> = Object.fromEntries(
  adapters.map((adapter) => [adapter.name, adapter.example]),
);
const createWith = (create: CreateApp, onError: (event: ErrorEvent) => void) => create({ onError });
const servers = new Map<string, { server: Server; base: string }>();

beforeAll(async () => {
  for (const [name, create] of Object.entries(examples)) {
    const server = await create();
    servers.set(name, { server, base: await listen(server) });
  }
});
afterAll(async () => {
  for (const { server } of servers.values()) await close(server);
});

function normalise(status: number, headers: Record<string, string | undefined>, text: string): Answer {
  const body = JSON.parse(text) as Record<string, unknown>;
  const picked: Record<string, string | undefined> = {};
  for (const name of compared) picked[name] = headers[name];
  // A generated correlation id differs per request; that it is echoed in the body is checked below.
  if (body.correlation_id === picked['x-request-id'] && typeof body.correlation_id === 'string') {
    if (!body.correlation_id.startsWith('req-')) {
      body.correlation_id = '<generated>';
      picked['x-request-id'] = '<generated>';
    }
  }
  return { status, headers: picked, body };
}

async function viaFetch(base: string, path: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(base + path, init);
  return normalise(response.status, Object.fromEntries(response.headers), await response.text());
}

/** Sends one request to every adapter and checks that all answers are the same. */
async function everywhere(send: (base: string) => Promise<Answer>): Promise<Answer> {
  const answers: Record<string, Answer> = {};
  for (const [name, { base }] of servers) answers[name] = await send(base);
  const reference = answers.node!;
  for (const [name, answer] of Object.entries(answers))
    expect(answer, `${name} differs from node`).toEqual(reference);
  return reference;
}

const post = (body: string, type = 'application/json'): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': type },
  body,
});

describe('every adapter answers the conformance routes identically', () => {
  it('answers malformed JSON with 400 and the malformed-JSON code', async () => {
    const answer = await everywhere((base) => viaFetch(base, '/echo', post('{"email":')));
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe('MALFORMED_JSON');
    expect(answer.headers['content-type']).toBe('application/problem+json');
  });

  it('answers a wrong content type with 415', async () => {
    const answer = await everywhere((base) => viaFetch(base, '/echo', post('<email/>', 'application/xml')));
    expect(answer.status).toBe(415);
    expect(answer.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers a body over the limit with 413', async () => {
    const big = `{"email":"${'a'.repeat(1024 * 1024 + 100)}"}`;
    const answer = await everywhere((base) => viaFetch(base, '/echo', post(big)));
    expect(answer.status).toBe(413);
    expect(answer.body.code).toBe('BODY_TOO_LARGE');
  });

  it('answers a lying huge Content-Length with 413 without waiting for the body', async () => {
    const answer = await everywhere(async (base) => {
      const raw = await rawRequest(base, [
        'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 104857600\r\n\r\n{"em',
      ]);
      return normalise(raw!.status, raw!.headers, raw!.body);
    });
    expect(answer.status).toBe(413);
  });

  it('answers an unknown route with 404 and the not-found code', async () => {
    const answer = await everywhere((base) => viaFetch(base, '/no/such/route'));
    expect(answer.status).toBe(404);
    expect(answer.body.code).toBe('NOT_FOUND');
    expect(answer.body.instance).toBe('/no/such/route');
  });

  it('answers a wrong method with 405 and Allow', async () => {
    const answer = await everywhere((base) => viaFetch(base, '/echo', { method: 'DELETE' }));
    expect(answer.status).toBe(405);
    expect(answer.headers.allow).toBe('POST, OPTIONS');
  });

  it('answers a validation failure with 400 and a field error by JSON Pointer', async () => {
    const answer = await everywhere((base) => viaFetch(base, '/echo', post('{"email":1}')));
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe('VALIDATION_FAILED');
    expect(answer.body.errors).toEqual([{ pointer: '/email', detail: expect.any(String) }]);
  });

  it('echoes a valid body', async () => {
    for (const { base } of servers.values()) {
      const response = await fetch(`${base}/echo`, post('{"email":"a@example.com"}'));
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ email: 'a@example.com' });
    }
  });

  it('answers a thrown catalog error with its details', async () => {
    const answer = await everywhere((base) => viaFetch(base, '/sessions/abc'));
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ code: 'SESSION_NOT_FOUND', details: { sessionId: 'abc' } });
  });

  it('answers a thrown catalog error with its headers', async () => {
    const answer = await everywhere((base) => viaFetch(base, '/limited'));
    expect(answer.status).toBe(429);
    expect(answer.headers['retry-after']).toBe('1');
  });

  it('answers a thrown string with 500', async () => {
    const answer = await everywhere((base) => viaFetch(base, '/throw-string'));
    expect(answer.status).toBe(500);
    expect(JSON.stringify(answer.body)).not.toContain('db-password-123');
  });

  it('answers an internal error with 500 and never leaks its message', async () => {
    const answer = await everywhere((base) => viaFetch(base, '/boom'));
    expect(answer.status).toBe(500);
    expect(answer.body.code).toBe('INTERNAL_ERROR');
    expect(JSON.stringify(answer.body)).not.toContain('db-password-123');
  });

  it('echoes a safe correlation id and replaces an unsafe one', async () => {
    const safe = await everywhere((base) =>
      viaFetch(base, '/sessions/x', { headers: { 'x-request-id': 'req-7' } }),
    );
    expect(safe.headers['x-request-id']).toBe('req-7');
    expect(safe.body.correlation_id).toBe('req-7');
    const unsafe = await everywhere((base) =>
      viaFetch(base, '/sessions/x', { headers: { 'x-request-id': 'a b' } }),
    );
    expect(unsafe.headers['x-request-id']).toBe('<generated>');
    // Ids from gateways and tracers (UUIDs, ULIDs, base64, AWS's Root=…;Parent=…) are kept; markup, quotes
    // and list separators are never reflected into a body, a header or a log line.
    // (Ids compared here start with `req-`: any other the normaliser above takes for a generated one.)
    const aws = 'req-Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
    const kept = await everywhere((base) =>
      viaFetch(base, '/sessions/x', { headers: { 'x-request-id': aws } }),
    );
    expect(kept.body.correlation_id).toBe(aws);
    for (const hostile of ['<script>alert(1)</script>', '"quoted"', 'a,b', "x'y", 'a\\b', '{id}']) {
      const answer = await everywhere((base) =>
        viaFetch(base, '/sessions/x', { headers: { 'x-request-id': `req-${hostile}` } }),
      );
      expect(answer.headers['x-request-id'], hostile).toBe('<generated>');
    }
  });
});

describe('an ApiError of another catalog', () => {
  it('is answered as the internal error alike on every adapter, its text only in the log', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const answer = await everywhere((base) => viaFetch(base, '/foreign'));
      expect(answer.status).toBe(500);
      expect(answer.body.code).toBe('INTERNAL_ERROR');
      const text = JSON.stringify(answer.body);
      expect(text).not.toContain('LEGACY_QUOTA');
      expect(text).not.toContain('acme-internal-7');
      const lines = logged.mock.calls.map((call) => String(call[0]));
      expect(lines).toHaveLength(servers.size);
      for (const line of lines) {
        expect(JSON.parse(line)).toMatchObject({
          code: 'INTERNAL_ERROR',
          message: 'Quota of tenant acme-internal-7 exhausted',
        });
      }
    } finally {
      logged.mockRestore();
    }
  });

  it.each(Object.entries(examples))('hands the original to onError on %s', async (_, create) => {
    const events: ErrorEvent[] = [];
    const server = await createWith(create, (event) => events.push(event));
    try {
      const base = await listen(server);
      const response = await fetch(`${base}/foreign`);
      expect(response.status).toBe(500);
      expect(await response.text()).not.toContain('acme-internal-7');
      expect(events).toHaveLength(1);
      expect(events[0]!.error.code).toBe('INTERNAL_ERROR');
      expect(events[0]!.thrown).toMatchObject({ code: 'LEGACY_QUOTA', status: 409 });
      expect(events[0]!.correlationId).toBe(response.headers.get('x-request-id'));
    } finally {
      await close(server);
    }
  });
});

describe.each(adapters.map((adapter) => adapter.name).filter((name) => name !== 'node'))(
  'npx tsx examples/adapters/%s.ts',
  (name) => {
    it('starts on PORT on 127.0.0.1 and serves the conformance routes', async () => {
      const port = await freePort();
      const started = await startCommand('npx', ['tsx', `examples/adapters/${name}.ts`], port);
      try {
        const response = await fetch(`http://127.0.0.1:${port}/limited`);
        expect(response.status).toBe(429);
        expect(response.headers.get('retry-after')).toBe('1');
      } finally {
        started.stop();
      }
    }, 60_000);
  },
);
