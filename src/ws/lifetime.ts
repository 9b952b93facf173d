import type { WsRole } from '../catalog/ws-types.js';

/**
 * The deadlines of one connection: closed after `idleTimeout` without a message, and after `maxDuration`
 * in all. It knows when they fall, so that a refused handshake can say when a slot frees.
 */
export class Lifetime {
  /** When the connection opened (ms since the epoch). */
  readonly openedAt = Date.now();
  /** When the last message arrived (ms since the epoch); the opening until the first one. */
  lastMessageAt = this.openedAt;
  private readonly idleTimer: NodeJS.Timeout | undefined;
  private readonly durationTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly idleTimeout: number | undefined,
    private readonly maxDuration: number | undefined,
    end: (role: WsRole) => void,
  ) {
    if (idleTimeout !== undefined) {
      this.idleTimer = setTimeout(() => end('idleTimeout'), idleTimeout);
      this.idleTimer.unref();
    }
    if (maxDuration !== undefined) {
      this.durationTimer = setTimeout(() => end('sessionExpired'), maxDuration);
      this.durationTimer.unref();
    }
  }

  /** A message arrived: the idle deadline moves on. */
  touch(): void {
    this.lastMessageAt = Date.now();
    this.idleTimer?.refresh();
  }

  /** When the first deadline falls (ms since the epoch); undefined when neither is configured. */
  endsAt(): number | undefined {
    const idle = this.idleTimeout === undefined ? undefined : this.lastMessageAt + this.idleTimeout;
    const whole = this.maxDuration === undefined ? undefined : this.openedAt + this.maxDuration;
    if (idle === undefined) return whole;
    return whole === undefined ? idle : Math.min(idle, whole);
  }

  /** Stops the timers; called once the connection is closed. */
  dispose(): void {
    clearTimeout(this.idleTimer);
    clearTimeout(this.durationTimer);
  }
}
