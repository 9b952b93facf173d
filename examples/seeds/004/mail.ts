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
