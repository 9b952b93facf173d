/**
 * The mail seed 002 sends: invites and password resets, handed to a mail provider over HTTP (`MAIL_URL`,
 * one JSON POST per mail). Nothing is kept in the process: a mail that cannot be handed over is not sent.
 */

/** One mail: who gets it, which template, and the single-use token its link carries. */
export interface Mail {
  readonly to: string;
  readonly template: 'invite' | 'password-reset';
  readonly token: string;
}

/** Where mail goes; `send` rejects when the provider did not take the mail. */
export interface Mailer {
  send(mail: Mail): Promise<void>;
}

/** A provider that takes `POST url` with the mail as JSON and answers 2xx once it has it. */
export function httpMailer(url: string, timeoutMs = 3000): Mailer {
  return {
    async send(mail) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(mail),
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.body?.cancel();
      if (!res.ok) throw new Error(`mail provider answered ${res.status}`);
    },
  };
}

/** No provider configured: every mail fails, saying so. */
export const noMailer: Mailer = {
  send: async () => {
    throw new Error('mail is not configured (MAIL_URL)');
  },
};
