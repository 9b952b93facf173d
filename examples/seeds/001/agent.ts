/**
 * The upstream services a session talks to: the agent service (start a conversation, stream a reply as
 * NDJSON) and the live-agent handoff provider. Their failures become the page's agent and handoff errors.
 */
import { errors } from './catalog.js';

async function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
}

/** The longest NDJSON line of a reply stream, in characters. */
const maxLine = 64 * 1024;

/** A failure of the delivery of a chunk (the session's store), carried past the stream's own catch. */
class Delivery {
  constructor(readonly error: unknown) {}
}

export class Agent {
  constructor(private readonly baseUrl: string) {}

  /** Starts a conversation; an overloaded service (503) is "high load", any other failure "unable to start". */
  async start(session: string): Promise<string | undefined> {
    let res: Response;
    try {
      res = await post(`${this.baseUrl}/conversations`, { session });
    } catch (cause) {
      throw errors.create('AGENT_START_FAILED', undefined, { cause });
    }
    if (res.status === 503) {
      await res.body?.cancel();
      throw errors.create('AGENT_HIGH_LOAD');
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw errors.create('AGENT_START_FAILED', undefined, {
        cause: new Error(`agent service ${res.status}`),
      });
    }
    const body = (await res.json().catch(() => ({}))) as { conversation_id?: unknown };
    return typeof body.conversation_id === 'string' ? body.conversation_id : undefined;
  }

  /** Streams the reply to `text`, awaiting `chunk` per piece in order; a broken or invalid stream is a stream failure. */
  async reply(
    conversation: string,
    text: string,
    chunk: (text: string) => Promise<void> | void,
  ): Promise<void> {
    let res: Response;
    try {
      res = await post(`${this.baseUrl}/conversations/${encodeURIComponent(conversation)}/reply`, { text });
    } catch (cause) {
      throw errors.create('AGENT_RESPONSE_FAILED', undefined, { cause });
    }
    if (res.status === 503) {
      await res.body?.cancel();
      throw errors.create('AGENT_HIGH_LOAD');
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      throw errors.create('AGENT_RESPONSE_FAILED', undefined, {
        cause: new Error(`agent service ${res.status}`),
      });
    }
    const deliver = async (delta: string) => {
      try {
        await chunk(delta);
      } catch (error) {
        throw new Delivery(error);
      }
    };
    const decoder = new TextDecoder();
    let buffered = '';
    const deltas: string[] = [];
    try {
      for await (const bytes of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffered += decoder.decode(bytes, { stream: true });
        let newline = buffered.indexOf('\n');
        while (newline !== -1) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (line !== '') deltas.push(String((JSON.parse(line) as { delta: unknown }).delta));
          newline = buffered.indexOf('\n');
        }
        // One line of NDJSON is one chunk: a line past the bound is not one the agent sends.
        if (buffered.length > maxLine) throw new Error('chunk too long');
        // Sent outside the catch below: a failure to deliver is not a broken stream.
        while (deltas.length > 0) await deliver(deltas.shift()!);
      }
      if (buffered.trim() !== '') throw new Error('stream ended inside a chunk');
    } catch (cause) {
      if (cause instanceof Delivery) throw cause.error;
      throw errors.create('AGENT_STREAM_FAILED', undefined, { cause });
    }
  }
}

export class Handoff {
  constructor(private readonly baseUrl: string) {}

  async connect(queue: string, session: string): Promise<string> {
    try {
      const res = await post(`${this.baseUrl}/sessions`, { queue, session });
      if (!res.ok) throw new Error(`handoff provider ${res.status}`);
      const { id } = (await res.json()) as { id?: unknown };
      if (typeof id !== 'string') throw new Error('handoff provider answered no session id');
      return id;
    } catch (cause) {
      throw errors.create('HANDOFF_CONNECT_FAILED', undefined, { cause });
    }
  }

  async forward(handoff: string, text: string): Promise<void> {
    try {
      const res = await post(`${this.baseUrl}/sessions/${encodeURIComponent(handoff)}/messages`, { text });
      await res.body?.cancel();
      if (!res.ok) throw new Error(`handoff provider ${res.status}`);
    } catch (cause) {
      throw errors.create('HANDOFF_FORWARD_FAILED', undefined, { cause });
    }
  }
}
