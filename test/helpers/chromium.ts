import { type Browser, chromium } from 'playwright-core';

/**
 * Debian's Chromium, headless, as root on a machine with no outbound network: the background services
 * that would dial out are off, so no connection is refused at start.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
