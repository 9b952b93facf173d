import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { validate } from '@readme/openapi-parser';
import { defineErrors } from 'faultline';
import { lintCatalog, renderHtml, renderMarkdown, renderOpenApi, snapshot } from 'faultline/docs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { launchChromium } from '../helpers/chromium.js';
import { runCli } from '../helpers/spawn.js';

// Catalog text comes from many hands (translators, other teams, a CMS): every string of an entry is
// written here by an attacker, and every renderer must keep it text.

const root = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'faultline-docs-outsider-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// What a terminal would act on: ESC, BEL, CSI (C1), a lone CR, and the bidirectional overrides.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters the tests look for
const terminalControls = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

// Each payload sets a global the page checks: none may run.
const evil = [
  '\u202eevil\u2066',
  '<script>window.__pwned="script"</script>',
  '<img src=x onerror="window.__pwned=\'img\'">',
  "' onmouseover='window.__pwned=1' x='",
  '" autofocus onfocus="window.__pwned=2" x="',
  '</style><script>window.__pwned="style"</script>',
  '</textarea></title><svg onload="window.__pwned=3">',
  '[click](javascript:window.__pwned=4) <javascript:alert(1)>',
  '``<img src=x onerror="window.__pwned=5">`',
  '| cell | break',
  'line\nbreak\r\rcarriage\u2028separator\u2029para',
  '\u001b[31mred\u001b]0;title\u0007\u009b2J',
  '# heading\n\n---\n> quote',
].join(' ');
// A code holds no whitespace or control character, and anything else.
const evilCode = 'X"><img/src=x/onerror=window.__pwned=6>`|[a](javascript:1)';

function hostileCatalog() {
  return defineErrors(
    {
      [evilCode]: {
        status: 409,
        message: evil,
        title: evil,
        description: evil,
        cause: evil,
        fix: evil,
        group: 'g',
        retryable: false,
        deprecated: evil,
      },
      ROOM_FULL: { status: 503, message: evil, group: 'g', retryable: true },
      'R<F': { status: 409, message: 'one', details: z.object({ a: z.string() }), members: ['a'] },
      'R>F': { status: 409, message: 'two', details: z.object({ b: z.number() }), members: ['b'] },
    },
    {
      name: evil,
      groups: { g: { title: evil, description: evil } },
      docsUrl: 'javascript:window.__pwned=7//{code}',
    },
  );
}

describe('renderHtml with hostile catalog text, in a real browser', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('runs no injected script, keeps every string as text, and its search box still finds it', async () => {
    const html = renderHtml(hostileCatalog(), { date: evil });
    const page = await browser.newPage();
    const errors: string[] = [];
    const dialogs: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('dialog', async (d) => {
      dialogs.push(d.message());
      await d.dismiss();
    });
    try {
      await page.setContent(html, { waitUntil: 'load' });
      await page.mouse.move(200, 200);
      await page.mouse.move(400, 400);
      const seen = await page.evaluate(() => ({
        pwned: (window as unknown as { __pwned?: unknown }).__pwned,
        scripts: document.scripts.length,
        images: document.images.length,
        svgs: document.querySelectorAll('svg').length,
        handlers: [...document.querySelectorAll('*')].flatMap((el) =>
          [...el.attributes].filter((a) => a.name.startsWith('on')).map((a) => a.name),
        ),
        scriptLinks: [...document.querySelectorAll('a[href]')]
          .map((a) => a.getAttribute('href')!)
          .filter((href) => !href.startsWith('#')),
        title: document.title,
        heading: document.querySelector('h1')!.textContent,
        row: document.getElementById('X"><img/src=x/onerror=window.__pwned=6>`|[a](javascript:1)') !== null,
      }));
      expect(seen).toMatchObject({ pwned: undefined, scripts: 1, images: 0, svgs: 0, handlers: [] });
      expect(seen.scriptLinks).toEqual([]);
      expect(seen.row).toBe(true);
      // The title is the text it was given, control characters written out.
      expect(seen.heading).toContain('<script>window.__pwned="script"</script>');
      expect(seen.heading).not.toContain('\u001b');
      await page.fill('#search', 'onmouseover=');
      expect(await page.textContent('#count')).toMatch(/^2 of \d+ codes match$/);
      await page.click(`button[data-copy="${evilCode.replaceAll('"', '\\"')}"]`).catch(() => undefined);
      expect(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();
      // Without storage (this page has an opaque origin, as in a sandboxed frame) the theme still switches.
      await page.click('#theme');
      expect(await page.evaluate(() => document.documentElement.dataset.theme)).toMatch(/^(dark|light)$/);
      expect({ errors, dialogs }).toEqual({ errors: [], dialogs: [] });
    } finally {
      await page.close();
    }
  });
});

/** The lines of a Markdown page outside its fenced code blocks. */
function prose(md: string): string[] {
  let fenced = false;
  return md.split('\n').filter((line) => {
    if (line.startsWith('```')) fenced = !fenced;
    return !fenced && !line.startsWith('```');
  });
}

/** The cells of a table row, split on the pipes GFM splits on (those not escaped). */
const cells = (row: string) => row.split(/(?<!\\)\|/).slice(1, -1);

describe('renderMarkdown with hostile catalog text', () => {
  const md = renderMarkdown(hostileCatalog(), { date: evil });
  const lines = prose(md);

  it('keeps each table row one line, with as many cells as its header', () => {
    const header = lines.findIndex((l) => l.startsWith('| Code |') && l.includes('Cause'));
    expect(header).toBeGreaterThan(0);
    const rows = lines.slice(header + 2, header + 4);
    expect(rows.map((r) => r.startsWith('| <a id='))).toEqual([true, true]);
    for (const row of rows) expect(cells(row)).toHaveLength(cells(lines[header]!).length);
    expect(md).not.toMatch(/[\r\u2028\u2029]/);
  });

  it('writes no HTML but its own anchors, and no link but its own', () => {
    // The code itself is written only inside code spans, where Markdown shows it as it is.
    const text = lines
      .join('\n')
      .replace(/<a id="[^"<>]*"><\/a>/g, '')
      .replaceAll(evilCode.replace('|', '\\|'), 'CODE');
    expect(text.match(/<(?:script|img|svg|\/style|\/textarea|javascript:).{0,40}/gi)).toBeNull();
    expect(text).toContain('&lt;script&gt;');
    expect(text).not.toMatch(/(?<!\\)\]\((?!#)/);
  });

  it('keeps the title, date and group title on their own lines', () => {
    expect(lines[0]).toMatch(/^# /);
    expect(lines[1]).toBe('');
    // No line break of the text starts a heading, a rule, a quote or a list of its own.
    expect(lines.filter((l) => /^(?:#+ heading|---|> |- )/.test(l))).toEqual([]);
    expect(lines.filter((l) => l.startsWith('## ')).length).toBeGreaterThan(1);
  });

  it('escapes the anchor of a code as an attribute and its span as code', () => {
    const anchor = /<a id="([^"]*)"><\/a>(`+) ?(.*?) ?\2 \|/.exec(md)!;
    const unescaped = anchor[1]!
      .replaceAll('\\|', '|')
      .replace(
        /&(quot|lt|gt|#39|amp);/g,
        (_, e: string) => ({ quot: '"', lt: '<', gt: '>', '#39': "'", amp: '&' })[e]!,
      );
    expect(unescaped).toBe(evilCode);
    expect(anchor[3]!.replaceAll('\\|', '|')).toBe(evilCode);
  });

  it('writes control characters out rather than sending them to a terminal', () => {
    // Bidirectional marks stay in a page: translations into right-to-left languages use them.
    expect(md.replace(/[\u202a-\u202e\u2066-\u2069]/g, '')).not.toMatch(terminalControls);
    expect(md).toContain('\\\\u001b\\[31mred');
  });
});

describe('renderOpenApi with hostile catalog text', () => {
  it('stays a valid OpenAPI 3.1 document', async () => {
    const document = renderOpenApi(hostileCatalog(), { title: evil });
    const result = await validate(structuredClone(document) as never);
    expect(result).toMatchObject({ valid: true });
  });

  it('gives two codes that sanitize alike each their own body schema', () => {
    const { components } = renderOpenApi(hostileCatalog());
    const schemaOf = (code: string) => {
      const ref: string = components.responses.Error409.content['application/problem+json'].schema.anyOf.find(
        (r: { $ref: string }) =>
          components.schemas[r.$ref.split('/').pop()!]?.description?.includes(`error ${code} `),
      )?.$ref;
      return ref && components.schemas[ref.split('/').pop()!].allOf[1].properties;
    };
    expect(Object.keys(schemaOf('R<F') ?? {})).toEqual(['a']);
    expect(Object.keys(schemaOf('R>F') ?? {})).toEqual(['b']);
  });

  it('smuggles no $ref through a member named $ref', async () => {
    const errors = defineErrors({
      SMUGGLED: {
        status: 409,
        message: 'm',
        details: z.object({ target: z.string().meta({ examples: ['/etc/passwd'] }) }),
        members: { $ref: 'target' },
      },
    });
    const document = renderOpenApi(errors);
    const refs: string[] = [];
    JSON.stringify(document, (key, value) => {
      if (key === '$ref' && typeof value === 'string') refs.push(value);
      return value;
    });
    expect(refs.filter((ref) => !ref.startsWith('#/components/'))).toEqual([]);
    expect(await validate(structuredClone(document) as never)).toMatchObject({ valid: true });
  });
});

describe('JSON forms with hostile catalog text', () => {
  it('round-trips every string of toJSON exactly', () => {
    const catalog = hostileCatalog();
    const json = JSON.parse(JSON.stringify(catalog));
    const text = JSON.stringify(json);
    expect(text).toContain(JSON.stringify(evil).slice(1, -1));
    // JSON escapes C0 controls itself (C1 ones it leaves as they are).
    expect([...text].some((c) => c.charCodeAt(0) < 0x20)).toBe(false);
  });
});

const cli = runCli;

describe('the CLI with hostile paths, options and catalog text', () => {
  it('writes a module path with terminal escapes out in its error', () => {
    const result = cli('docs', `${work}/\u001b]0;pwned\u0007\u001b[2J\u202emissing.ts`);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/no such file/);
    expect(result.stderr).not.toMatch(terminalControls);
  });

  it('writes an unknown option with terminal escapes out in its error', () => {
    const result = cli('docs', 'x.ts', '--\u001b[31mred');
    expect(result.code).toBe(2);
    expect(result.stderr).not.toMatch(terminalControls);
  });

  it('writes out escapes in a module’s own error, in the text page and in diff output', () => {
    const dist = JSON.stringify(pathToFileURL(join(root, 'dist/index.js')).href);
    const throws = join(work, 'throws.mjs');
    writeFileSync(throws, 'throw new Error("boom \\u001b[2J\\u001b]0;pwned\\u0007");\n');
    const thrown = cli('lint', throws);
    expect(thrown.code).toBe(2);
    expect(thrown.stderr).toContain('boom');
    expect(thrown.stderr).not.toMatch(terminalControls);

    const module = join(work, 'catalog.mjs');
    writeFileSync(
      module,
      `import { defineErrors } from ${dist};
       export const errors = defineErrors({ ROOM_FULL: { status: 409, message: ${JSON.stringify(evil)}, group: 'g' } },
         { name: ${JSON.stringify(evil)}, groups: { g: { title: ${JSON.stringify(evil)} } } });`,
    );
    const text = cli('docs', module, '--format', 'txt', '--date', '2026-01-01');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('ROOM_FULL');
    expect(text.stdout).not.toMatch(terminalControls);

    // JSON printed to a terminal: the same strings, with C1 controls and overrides as JSON escapes.
    for (const args of [
      ['docs', module, '--format', 'json'],
      ['openapi', module],
      ['snapshot', module],
    ]) {
      const json = cli(...args);
      expect(json.code).toBe(0);
      expect(json.stdout).not.toMatch(terminalControls);
      expect(JSON.stringify(JSON.parse(json.stdout))).toContain(JSON.stringify(evil).slice(1, -1));
    }

    const old = join(work, 'old.json');
    writeFileSync(
      old,
      JSON.stringify({ faultline: 1, codes: { '\u001b]0;pwned\u0007GONE': { status: 410 } } }),
    );
    const diffed = cli('diff', old, module);
    expect(diffed.stdout).toContain('code removed');
    expect(diffed.stdout).not.toMatch(terminalControls);
  });
});

describe('a catalog of 10 000 codes', () => {
  it('renders every form, each code once, and reports the time each took', () => {
    const definitions: Record<string, { status: 400; message: string; description: string }> = {};
    for (let i = 0; i < 10_000; i++)
      definitions[`CODE_${i}`] = { status: 400, message: `Message ${i} |<b>`, description: `Why ${i}` };
    const times: Record<string, number> = {};
    const time = <T>(name: string, run: () => T): T => {
      const start = performance.now();
      const value = run();
      times[name] = Math.round(performance.now() - start);
      return value;
    };
    const catalog = time('defineErrors', () => defineErrors(definitions));
    const html = time('renderHtml', () => renderHtml(catalog, { date: '2026-01-01' }));
    const md = time('renderMarkdown', () => renderMarkdown(catalog, { date: '2026-01-01' }));
    const api = time('renderOpenApi', () => renderOpenApi(catalog));
    const json = time('toJSON', () => JSON.stringify(catalog));
    time('lintCatalog', () => lintCatalog(catalog));
    const lock = time('snapshot', () => snapshot(catalog));
    console.info(`10 000 codes, ms: ${JSON.stringify(times)}`);
    expect(html.match(/<tr id="CODE_/g)).toHaveLength(10_000);
    expect(md.match(/<a id="CODE_/g)).toHaveLength(10_000);
    expect(api.components.schemas.ErrorCode.enum).toContain('CODE_9999');
    expect(json).toContain('CODE_9999');
    expect(Object.keys(lock.codes)).toContain('CODE_9999');
  });
});
