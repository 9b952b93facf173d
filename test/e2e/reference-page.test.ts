import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemo } from '../../demo/app.js';
import { launchChromium } from '../helpers/chromium.js';
import { close, listen } from '../helpers/http.js';

const { server } = createDemo({ logger: false, apps: { 'demo-app': crypto.randomUUID() } });
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

  it('says how many codes match as you type, and the contents follow the filter', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${base}/docs/errors`);
    const total = await page.locator('tr[data-search]').count();
    const count = page.locator('#count');
    expect(await count.textContent()).toBe(`${total} codes`);
    const search = page.locator('input[type="search"]');
    await search.pressSequentially('already taken');
    expect(await count.textContent()).toBe(`1 of ${total} codes matches`);
    await search.fill('room');
    const shown = await page.locator('tr[data-search]:visible').count();
    expect(shown).toBeGreaterThan(1);
    expect(await count.textContent()).toBe(`${shown} of ${total} codes match`);
    const listed = await page
      .locator('.toc a:visible')
      .evaluateAll((links) => links.map((a) => [a.getAttribute('href'), a.querySelector('.n')?.textContent]));
    const groups = await page
      .locator('section[data-group]:visible')
      .evaluateAll((sections) =>
        sections.map((s) => [`#${s.id}`, String(s.querySelectorAll('tr[data-search]:not([hidden])').length)]),
      );
    expect(listed).toEqual(groups);
    await search.fill('no such code at all');
    expect(await count.textContent()).toBe(`0 of ${total} codes match`);
    await search.fill('');
    expect(await count.textContent()).toBe(`${total} codes`);
    await page.close();
  });

  it('has contents beside the page that reach every section', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${base}/docs/errors`);
    const links = page.locator('.toc a');
    expect(await links.count()).toBeGreaterThan(8);
    const standard = page.locator('.toc a', { hasText: 'Standard errors' });
    await standard.click();
    const heading = page.locator('#group-http h2');
    const box = await heading.boundingBox();
    expect(box!.y).toBeGreaterThanOrEqual(0);
    expect(box!.y).toBeLessThan(900);
    // The contents stay in view while the page scrolls.
    const nav = await page.locator('.toc').boundingBox();
    expect(nav!.y).toBeGreaterThanOrEqual(0);
    expect(nav!.x + nav!.width).toBeLessThanOrEqual(box!.x);
    await page.goto(`${base}/docs/errors`);
    await page.locator('input[type="search"]').fill('room');
    await page.screenshot({
      path: resolve(import.meta.dirname, '../../.artifacts/reference-page-search.png'),
    });
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
