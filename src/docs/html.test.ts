import { defineErrors, wsDefinitions } from 'faultline';
import { renderHtml } from 'faultline/docs';
import { describe, expect, it } from 'vitest';

const catalog = defineErrors(
  {
    ...wsDefinitions,
    SESSION_NOT_FOUND: {
      status: 404,
      id: 3001,
      group: 'sessions',
      message: 'Session not found',
      description: 'No active session has this id.',
      cause: 'The session ended.',
    },
    SESSION_LOCKED: { status: 423, group: 'sessions', message: 'Session locked' },
    ROOM_FULL: { status: 409, group: 'rooms', message: 'Room full', description: 'The room is full.' },
    AUTH_FAILED: { status: 401, group: 'rooms', message: 'Authentication failed' },
  },
  { groups: { sessions: { title: 'Sessions' }, rooms: { title: 'Rooms' } } },
);
const html = renderHtml(catalog, { date: '2026-01-01' });

/** The sections of the page by id: their heading and the headers of their table. */
function sections(page: string) {
  return [...page.matchAll(/<section id="([^"]+)"[^>]*><h2>([\s\S]*?)<\/h2>([\s\S]*?)<\/section>/g)].map(
    ([, id, title, body]) => ({
      id: id!,
      title: title!.replace(/<[^>]+>/g, ''),
      headers: [...body!.matchAll(/<th>([^<]*)<\/th>/g)].map((m) => m[1]),
      rows: [...body!.matchAll(/<tr id="/g)].length,
    }),
  );
}

function contents(page: string) {
  const nav = /<nav class="toc" aria-label="Contents">([\s\S]*?)<\/nav>/.exec(page)?.[1] ?? '';
  return [...nav.matchAll(/<a href="#([^"]+)"><span>([^<]*)<\/span>(?:<span class="n">(\d+)<\/span>)?/g)].map(
    ([, id, title, count]) => ({ id, title, count: count === undefined ? undefined : Number(count) }),
  );
}

describe('renderHtml: the contents', () => {
  it('links every section of the page, in page order, with each group’s number of codes', () => {
    const listed = contents(html);
    const page = sections(html);
    expect(listed.map((l) => l.id)).toEqual(page.map((s) => s.id));
    expect(listed.map((l) => l.title)).toEqual(page.map((s) => s.title));
    const groups = page.filter((s) => s.rows > 0);
    expect(groups.map((g) => g.title)).toEqual(
      expect.arrayContaining(['Sessions', 'Rooms', 'Standard errors']),
    );
    for (const group of groups) expect(listed.find((l) => l.id === group.id)?.count).toBe(group.rows);
    expect(listed.filter((l) => l.count !== undefined)).toHaveLength(groups.length);
  });

  it('gives every section a distinct anchor that no code takes', () => {
    const ids = [...html.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('renderHtml: the search box', () => {
  it('says how many codes the page lists, in a live region the script updates', () => {
    const rows = [...html.matchAll(/<tr id="[^"]+" data-search=/g)].length;
    expect(html).toContain(`<p id="count" role="status" aria-live="polite">${rows} codes</p>`);
    expect(html).toMatch(/<input type="search" id="search"[^>]* aria-describedby="count"/);
    expect(html).toContain("shown+' of '+total");
  });
});

/** Per section, each header and whether some cell of its column has text. */
function filled(page: string) {
  return [...page.matchAll(/<section id="([^"]+)"[^>]*><h2>([\s\S]*?)<\/h2>([\s\S]*?)<\/section>/g)].map(
    ([, , title, body]) => {
      const headers = [...body!.matchAll(/<th>([^<]*)<\/th>/g)].map((m) => m[1]!);
      const cells = [...body!.matchAll(/<td data-label="([^"]+)"[^>]*>([\s\S]*?)<\/td>/g)];
      const withText = new Set(
        cells.filter(([, , text]) => !/^(?:—|)$/.test(text!.replace(/<[^>]+>/g, '').trim())).map((c) => c[1]),
      );
      return { title: title!, empty: headers.filter((h) => !withText.has(h)) };
    },
  );
}

describe('renderHtml: empty columns', () => {
  it('leaves out a column no code of the group fills, header included', () => {
    const page = sections(html);
    expect(page.find((s) => s.title === 'Sessions')!.headers).toEqual([
      'Code',
      'ID',
      'HTTP',
      'Message',
      'Description',
      'Cause',
    ]);
    expect(page.find((s) => s.title === 'Rooms')!.headers).toEqual([
      'Code',
      'HTTP',
      'Message',
      'Description',
    ]);
  });

  it('shows no column without text in any table, the WebSocket tables included', () => {
    const handshake = sections(
      renderHtml(
        defineErrors({
          AUTH_FAILED: { status: 401, message: 'Authentication failed' },
          ENDED: { status: 410, message: 'Ended', ws: { close: 4410 } },
        }),
      ),
    ).find((s) => s.title === 'WebSocket handshake errors')!;
    expect(handshake.headers).toEqual(['Status', 'Code', 'Message']);
    const tables = filled(html).filter((t) => t.title !== 'Error response format' && t.title !== 'Retrying');
    expect(tables.length).toBeGreaterThan(5);
    for (const table of tables) expect(table.empty, table.title).toEqual([]);
  });
});
