/**
 * Running a function is delegated to an isolated runner service the operator configures
 * (`SEED_000_FUNCTION_RUNNER_URL`): this process parses functions but never evaluates them. The runner
 * gets `{ entryPoint, source, input }` as JSON and answers 200 `{ result }`, or 422 `{ error }` when the
 * function failed while running. Anything else, or no answer in time, is a bad gateway.
 */

/** What the runner said: the function's result, or its runtime failure. */
export type RunOutcome =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly error: string };

/** Thrown when the runner cannot be used: down, slow, or answering outside its contract. */
export class RunnerUnavailable extends Error {
  override readonly name = 'RunnerUnavailable';
}

const maxAnswer = 256 * 1024;

async function boundedText(response: Response): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxAnswer) {
      await reader.cancel();
      throw new RunnerUnavailable(`the runner answered more than ${maxAnswer} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Asks the runner at `url` to run `source`'s entry point with `input`, within `timeoutMs`. */
export async function runOnRunner(
  url: string,
  timeoutMs: number,
  job: { entryPoint: string; source: string; input: unknown },
): Promise<RunOutcome> {
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(job),
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await boundedText(response);
  } catch (cause) {
    if (cause instanceof RunnerUnavailable) throw cause;
    throw new RunnerUnavailable('the function runner did not answer', { cause });
  }
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    throw new RunnerUnavailable(
      `the function runner answered ${response.status} with a body that is not JSON`,
    );
  }
  const body = (typeof answer === 'object' && answer !== null ? answer : {}) as Record<string, unknown>;
  if (response.status === 200 && 'result' in body) return { ok: true, result: body.result };
  if (response.status === 422 && typeof body.error === 'string') return { ok: false, error: body.error };
  throw new RunnerUnavailable(`the function runner answered ${response.status} outside its contract`);
}
