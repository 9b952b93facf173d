/**
 * Outgoing mail (verification links, tracking codes): POSTed as JSON to a mail relay. Sending never holds
 * up the answer, so that whether a mail went out (a ticket exists, an address is taken) cannot be read
 * from the response time; a failed delivery is logged, never answered.
 */

/** One mail. */
export interface Mail {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

/** Sends a mail in the background. */
export type Mailer = (mail: Mail) => void;

/** A mailer that POSTs each mail to `url`; failures go to `onFailure`. */
export function httpMailer(url: string, onFailure: (cause: unknown) => void): Mailer {
  return (mail) => {
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(mail),
      signal: AbortSignal.timeout(5000),
    })
      .then(async (res) => {
        await res.body?.cancel();
        if (!res.ok) throw new Error(`mail relay answered ${res.status}`);
      })
      .catch(onFailure);
  };
}

/** Without a relay: mail is dropped (the server says so at start). */
export const noMail: Mailer = () => {};

/**
 * How many mails of one kind an address may be sent per window, so that no caller can make the server mail
 * someone without bound (the per-IP limit bounds each caller; this bounds each recipient): at most `limit`
 * in any `windowMs`. Keys are user ids. Memory is bounded twice: a key whose last mail is older than the
 * window is deleted (keys are kept in the order of their last mail, and each call drops such keys from the
 * front), and past `maxKeys` recipients mailed within one window the one mailed longest ago is forgotten,
 * which lets it be mailed again early.
 */
export function perRecipientCap(now: () => number, limit: number, windowMs: number, maxKeys = 100_000) {
  /** Send times of each key, oldest first; the keys in the order of their last send. */
  const sent = new Map<string, number[]>();
  const cap = (key: string): boolean => {
    const since = now() - windowMs;
    for (const [old, times] of sent) {
      if (times[times.length - 1]! > since) break;
      sent.delete(old);
    }
    const recent = (sent.get(key) ?? []).filter((at) => at > since);
    if (recent.length >= limit) {
      // Its last send is unchanged, and so is its place.
      sent.set(key, recent);
      return false;
    }
    recent.push(now());
    sent.delete(key);
    sent.set(key, recent);
    if (sent.size > maxKeys) sent.delete(sent.keys().next().value!);
    return true;
  };
  /** How many recipients the cap holds now: for tests. */
  return Object.assign(cap, { size: () => sent.size });
}
