/**
 * Seed 004's per-recipient mail cap, on a clock the test moves: at most `limit` mails a recipient in any
 * window, and the keys it holds stay bounded (those whose last mail left the window are forgotten, and
 * past `maxKeys` the one mailed longest ago goes), so mails to users long gone cost no memory.
 */
import { describe, expect, it } from 'vitest';
import { perRecipientCap } from '../../examples/seeds/004/mail.js';

const hour = 60 * 60_000;

describe('seed 004: perRecipientCap', () => {
  it('allows at most 3 mails to a recipient in any hour, and more once the first left the hour', () => {
    let now = Date.UTC(2026, 5, 25, 9);
    const cap = perRecipientCap(() => now, 3, hour);
    expect([cap('usr_a'), cap('usr_a'), cap('usr_a'), cap('usr_a')]).toEqual([true, true, true, false]);
    expect(cap('usr_b')).toBe(true);
    now += hour - 1;
    expect(cap('usr_a')).toBe(false);
    now += 1;
    expect([cap('usr_a'), cap('usr_a'), cap('usr_a'), cap('usr_a')]).toEqual([true, true, true, false]);
  });

  it('forgets recipients whose last mail left the window: many distinct recipients leave one held', () => {
    let now = Date.UTC(2026, 5, 25, 9);
    const cap = perRecipientCap(() => now, 3, hour);
    for (let i = 0; i < 5000; i++) expect(cap(`usr_${i}`)).toBe(true);
    expect(cap.size()).toBe(5000);
    now += hour;
    expect(cap('usr_late')).toBe(true);
    expect(cap.size()).toBe(1);
  });

  it('holds at most maxKeys recipients, forgetting the one mailed longest ago, and still caps the others', () => {
    const now = Date.UTC(2026, 5, 25, 9);
    const cap = perRecipientCap(() => now, 3, hour, 100);
    for (let i = 0; i < 1000; i++) expect(cap(`usr_${i}`)).toBe(true);
    expect(cap.size()).toBe(100);
    expect([cap('usr_999'), cap('usr_999'), cap('usr_999')]).toEqual([true, true, false]);
    expect(cap.size()).toBe(100);
  });
});
