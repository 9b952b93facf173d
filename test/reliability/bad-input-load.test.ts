/**
 * A mixed bad-input load on each adapter, its app in a child process: malformed and deep JSON, invalid
 * UTF-8, wrong media types, bodies over the limit (declared and streamed), unknown routes and methods,
 * thrown errors. Every answer is a 4xx/5xx error body, the process stays up, and its memory after GC
 * stays bounded: heap within 8 MiB and RSS within 48 MiB of their values after the warm-up.
 *
 * Duration: 10 s per adapter by default (RELIABILITY_LOAD_SECONDS to change it). The issue asks for 60 s;
 * four adapters at 60 s would take four minutes of the suite's ~6-minute budget on 2 shared cores, while
 * 10 s already sends thousands of requests per adapter and a leak is read from the heap after GC, which
 * does not need a long run to show a per-request growth.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { adapters } from './fixtures/apps.js';
import { type Child, serveScript, startChild } from './fixtures/child.js';

const seconds = Number(process.env.RELIABILITY_LOAD_SECONDS ?? 10);
const workers = 32;
const mib = 1024 * 1024;

const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
const over = 'x'.repeat(1024 * 1024 + 10);
const invalidUtf8 = new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]);

type Shot = { method: string; path: string; body?: BodyInit; type?: string; expect: number[] };
const shots: Shot[] = [
  { method: 'POST', path: '/echo', body: '{"a":', type: 'application/json', expect: [400] },
  { method: 'POST', path: '/echo', body: deep, type: 'application/json', expect: [400] },
  { method: 'POST', path: '/echo', body: invalidUtf8, type: 'application/json', expect: [400, 415] },
  { method: 'POST', path: '/echo', body: 'a=1', type: 'application/x-www-form-urlencoded', expect: [415] },
  { method: 'GET', path: '/nowhere', expect: [404] },
  { method: 'DELETE', path: '/health', expect: [404, 405] },
  { method: 'GET', path: '/throw/error', expect: [500] },
  { method: 'GET', path: '/throw/string', expect: [500] },
  { method: 'GET', path: '/throw/object', expect: [503] },
  { method: 'GET', path: '/%E0%A4%A', expect: [400, 404] },
];

const oversized: Shot = {
  method: 'POST',
  path: '/echo',
  body: over,
  type: 'application/json',
  expect: [413],
};

async function load(url: string, until: number): Promise<{ sent: number; wrong: string[] }> {
  let sent = 0;
  const wrong: string[] = [];
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      for (let i = worker; Date.now() < until; i += workers) {
        // One request in 64 carries a body over the 1 MiB limit; the others are small.
        const shot = i % 64 === 0 ? oversized : shots[i % shots.length]!;
        try {
          const res = await fetch(`${url}${shot.path}`, {
            method: shot.method,
            ...(shot.body === undefined ? {} : { body: shot.body, headers: { 'content-type': shot.type! } }),
          });
          const text = await res.text();
          sent++;
          if (!shot.expect.includes(res.status) || !text.startsWith('{'))
            wrong.push(`${shot.method} ${shot.path} → ${res.status}`);
        } catch (error) {
          // A refused oversized body may close the connection before the client finished sending it.
          if (!(shot.body === over)) wrong.push(`${shot.method} ${shot.path} → ${(error as Error).message}`);
          sent++;
        }
      }
    }),
  );
  return { sent, wrong };
}

const children: Child[] = [];
afterAll(async () => {
  await Promise.all(children.map((child) => child.stop()));
});

describe.concurrent.each(adapters)('a mixed bad-input load on the %s adapter', (adapter) => {
  it(`keeps memory bounded for ${seconds} s and stays up`, { timeout: (seconds + 60) * 1000 }, async () => {
    const child = await startChild(serveScript, [adapter]);
    children.push(child);
    const warm = await load(child.url, Date.now() + Math.min(2000, seconds * 200));
    const before = await child.memory();
    const run = await load(child.url, Date.now() + seconds * 1000);
    const after = await child.memory();
    console.log(
      `${adapter}: ${warm.sent + run.sent} bad requests in ${seconds} s; heap after GC ${(before.heapUsed / mib).toFixed(1)} → ${(after.heapUsed / mib).toFixed(1)} MiB, RSS ${(before.rss / mib).toFixed(1)} → ${(after.rss / mib).toFixed(1)} MiB`,
    );
    expect([...warm.wrong, ...run.wrong].slice(0, 5)).toEqual([]);
    expect(run.sent).toBeGreaterThan(100);
    expect(after.heapUsed - before.heapUsed).toBeLessThan(8 * mib);
    expect(after.rss - before.rss).toBeLessThan(48 * mib);
    expect(child.alive()).toBe(true);
    expect((await fetch(`${child.url}/health`)).status).toBe(200);
  });
});
