import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemo } from '../../demo/app.js';
import { launchChromium } from '../helpers/chromium.js';
import { close, listen } from '../helpers/http.js';

const { server } = createDemo({ logger: false });
let base = '';
let browser: Browser;
const requests: string[] = [];

beforeAll(async () => {
  base = await listen(server);
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await close(server);
});

describe('the HTML reference page in a real browser', () => {
  it('loads from GET /docs/errors, filters as you type, follows a deep link and makes no other request', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(`${base}/docs/errors`);
    const rows = page.locator('tr[data-search]');
    const total = await rows.count();
    expect(total).toBeGreaterThan(30);

    await page.locator('input[type="search"]').pressSequentially('already taken');
    const visible = await page
      .locator('tr[data-search]:visible')
      .evaluateAll((els) => els.map((el) => el.id));
    expect(visible).toEqual(['CONFERENCE_NAME_TAKEN']);

    await page.locator('input[type="search"]').fill('4001');
    expect(
      await page.locator('tr[data-search]:visible').evaluateAll((els) => els.map((el) => el.id)),
    ).toEqual(['ROOM_NOT_FOUND']);

    await page.locator('input[type="search"]').fill('no such code at all');
    expect(await page.locator('tr[data-search]:visible').count()).toBe(0);
    expect(await page.locator('#empty').isVisible()).toBe(true);

    await page.locator('input[type="search"]').fill('');
    expect(await page.locator('tr[data-search]:visible').count()).toBe(total);

    await page.goto(`${base}/docs/errors#SESSION_NOT_FOUND`);
    expect(await page.locator('tr:target').getAttribute('id')).toBe('SESSION_NOT_FOUND');
    const box = await page.locator('#SESSION_NOT_FOUND').boundingBox();
    expect(box, JSON.stringify(box)).not.toBeNull();
    expect(box!.y, JSON.stringify(box)).toBeGreaterThanOrEqual(-1);
    expect(box!.y, JSON.stringify(box)).toBeLessThan(844);

    mkdirSync(resolve(import.meta.dirname, '../../.artifacts'), { recursive: true });
    await page.screenshot({
      path: resolve(import.meta.dirname, '../../.artifacts/reference-page.png'),
      fullPage: false,
    });
    expect(requests.every((url) => url.startsWith(base))).toBe(true);
    await page.close();
  });

  it('switches to dark mode and keeps the choice', async () => {
    const page = await browser.newPage({ colorScheme: 'light' });
    await page.goto(`${base}/docs/errors`);
    const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(await background()).toBe('rgb(255, 255, 255)');
    await page.locator('#theme').click();
    expect(await background()).toBe('rgb(13, 17, 23)');
    await page.reload();
    expect(await background()).toBe('rgb(13, 17, 23)');
    await page.close();
  });
});
