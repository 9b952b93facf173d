/** A signal that follows two others, and what unhooks it from them once the request is over. */
export interface LinkedSignal {
  readonly signal: AbortSignal;
  readonly release: () => void;
}

const noop = () => {};

/**
 * A signal that aborts as soon as `caller` or `own` does, with that one's reason. `AbortSignal.any` where
 * the runtime has it (Node 20.3+, Chrome 116, Firefox 124, Safari 17.4); elsewhere a controller fed by
 * listeners, which `release` removes so that a long-lived signal of the caller holds nothing of a request.
 */
export function linkSignals(caller: AbortSignal, own: AbortSignal): LinkedSignal {
  if (typeof AbortSignal.any === 'function') return { signal: AbortSignal.any([caller, own]), release: noop };
  const controller = new AbortController();
  const sources = [caller, own];
  const forward = (event: Event) => {
    release();
    controller.abort((event.target as AbortSignal).reason);
  };
  const release = () => {
    for (const source of sources) source.removeEventListener('abort', forward);
  };
  const aborted = sources.find((source) => source.aborted);
  if (aborted) controller.abort(aborted.reason);
  else for (const source of sources) source.addEventListener('abort', forward);
  return { signal: controller.signal, release };
}
