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
 * someone without bound (the per-IP limit bounds each caller; this bounds each recipient). Keys are user ids,
 * so the map holds at most one entry per user, and an entry whose window has passed is dropped when read.
 */
export function perRecipientCap(now: () => number, limit: number, windowMs: number) {
  const sent = new Map<string, number[]>();
  return (key: string): boolean => {
    const recent = (sent.get(key) ?? []).filter((at) => at > now() - windowMs);
    if (recent.length >= limit) {
      sent.set(key, recent);
      return false;
    }
    recent.push(now());
    sent.set(key, recent);
    return true;
  };
}
