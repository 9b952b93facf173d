/** The telephony provider adapter: places calls through the provider's HTTP API. */
import { errors } from './catalog.js';
import type { Call } from './workspaces.js';

/** A provider adapter that places the call through the provider's HTTP API. */
export function httpProvider(baseUrl: string) {
  return {
    async dial(call: Call, credential: string): Promise<void> {
      let res: Response;
      try {
        res = await fetch(`${baseUrl}/calls`, {
          method: 'POST',
          headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
          body: JSON.stringify({ from: call.from, to: call.to }),
          signal: AbortSignal.timeout(3000),
        });
      } catch (cause) {
        throw errors.create('DEPENDENCY_UNAVAILABLE', undefined, { cause });
      }
      await res.body?.cancel();
      if (!res.ok)
        throw errors.create('UPSTREAM_PROVIDER_ERROR', undefined, {
          cause: new Error(`provider answered ${res.status}`),
        });
    },
  };
}
