/**
 * The page of the browser test: `faultline/client` bundled for the browser, calling the API on another
 * origin. Each scenario returns plain data for the test to assert.
 */
import { createClient } from 'faultline/client';
import { errors } from './catalog.js';

const api = (base: string) => createClient({ baseUrl: base, catalog: errors, retry: { random: () => 0 } });

function describeError(error: unknown) {
  const e = error as { name?: string; code?: string; status?: number; details?: unknown; message?: string };
  return { name: e.name, code: e.code, status: e.status, details: e.details, message: e.message };
}

const scenarios = {
  /** A catalog error narrows by code, with its status and details. */
  async typed(base: string) {
    const client = api(base);
    try {
      await client.get('/sessions/abc');
      return { thrown: false };
    } catch (error) {
      if (client.is(error, 'SESSION_NOT_FOUND')) {
        return {
          thrown: true,
          narrowed: true,
          code: error.code,
          status: error.status,
          sessionId: error.details?.sessionId,
          correlationId: error.correlationId,
          message: error.message,
        };
      }
      return { thrown: true, narrowed: false, ...describeError(error) };
    }
  },
  /** A 429 is retried after the server's Retry-After. */
  async retried(base: string) {
    const delays: number[] = [];
    const client = createClient({
      baseUrl: base,
      catalog: errors,
      retry: { beforeRetry: ({ delay, status }) => void delays.push(status ?? 0, delay) },
    });
    const data = await client.get<{ ok: boolean; attempt: number }>('/limited');
    return { data, delays };
  },
  /** An abort during the wait rejects at once, with the signal's reason. */
  async aborted(base: string) {
    const controller = new AbortController();
    const client = createClient({
      baseUrl: base,
      catalog: errors,
      retry: { beforeRetry: () => void setTimeout(() => controller.abort(), 20) },
    });
    const started = performance.now();
    try {
      await client.get('/always-limited', { signal: controller.signal });
      return { rejected: false };
    } catch (error) {
      return { rejected: true, elapsed: performance.now() - started, ...describeError(error) };
    }
  },
  /** An HTML page from a proxy becomes a typed error of unknown code, with the raw body kept. */
  async proxy(base: string) {
    const client = api(base);
    const { error } = await client.safe.get('/proxy', { retry: false });
    const e = error as { code?: string; status?: number; rawBody?: string };
    return {
      known: client.is(error),
      isApiError: client.is(error, 'BAD_GATEWAY'),
      instance: error instanceof Error,
      code: e.code,
      status: e.status,
      rawBody: e.rawBody,
    };
  },
};

(globalThis as { scenarios?: typeof scenarios }).scenarios = scenarios;
