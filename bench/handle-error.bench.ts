import { defineErrors } from 'faultline';
import { createErrorHandler } from 'faultline/server';
import { consume, measure, report } from './harness.js';

const request = { method: 'GET', url: '/v1/sessions/abc', headers: { 'x-request-id': 'req-12345' } };

function heapPerCall(fn: () => void, calls: number): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return Number.NaN;
  for (let i = 0; i < 10_000; i++) fn();
  gc();
  const before = process.memoryUsage().heapUsed;
  const kept: unknown[] = [];
  for (let i = 0; i < calls; i++) kept.push(fn());
  const after = process.memoryUsage().heapUsed;
  consume(kept.length);
  return (after - before) / calls;
}

/** An error handler for a catalog error: speed, allocation, and the cost of capturing stacks. */
export async function benchHandleError(): Promise<void> {
  const withStacks = defineErrors(
    { RATE_LIMITED: { status: 429, message: 'Too many requests.' } },
    { stack: 'always' },
  );
  const withoutStacks = defineErrors({ RATE_LIMITED: { status: 429, message: 'Too many requests.' } });
  const handler = createErrorHandler({ catalog: withoutStacks });
  const prebuilt = withoutStacks.create('RATE_LIMITED', undefined, { headers: { 'retry-after': '1' } });
  const results = await measure([
    { name: 'handle a prebuilt catalog error', fn: () => consume(handler.handle(prebuilt, request).body) },
    {
      name: 'create + handle, stack captured',
      fn: () => consume(handler.handle(withStacks.create('RATE_LIMITED'), request).body),
    },
    {
      name: 'create + handle, stack skipped (default for 4xx)',
      fn: () => consume(handler.handle(withoutStacks.create('RATE_LIMITED'), request).body),
    },
    { name: 'new Error() alone', fn: () => consume(new Error('x')) },
  ]);
  report('handle (catalog error, 429)', results, 'create + handle, stack captured');

  const calls = 20_000;
  const body = handler.handle(prebuilt, request).body;
  const total = heapPerCall(() => handler.handle(prebuilt, request), calls);
  console.log(
    `\nheap retained per handle call (result kept alive): ${Number.isNaN(total) ? 'run with --expose-gc' : `${Math.round(total)} bytes`}` +
      `; of which the body string is ~${body.length + 16} bytes (${body.length} one-byte characters + header).` +
      '\nPer call faultline allocates: the view object it serializes, the headers object, the result object,' +
      ' the correlation id string when one is generated, and the body.',
  );
}
