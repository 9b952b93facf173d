import { createRequire } from 'node:module';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { routeTableOf } from './internals.js';

const expressVersion = (createRequire(import.meta.url)('express/package.json') as { version: string })
  .version;

describe('the Express router internals the adapter reads', () => {
  it(`reads the methods of a path's routes from Express ${expressVersion}`, () => {
    expect(expressVersion).toMatch(/^5\./);
    const app = express();
    app.get('/items/:id', () => {});
    app.post('/items/:id', () => {});
    app.all('/any', () => {});
    const table = routeTableOf(app);
    expect(table.methods('/items/7')).toEqual(['GET', 'POST']);
    // Express 5's `app.all` lists every method node knows on the route.
    expect(table.methods('/any')).toEqual(
      expect.arrayContaining(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']),
    );
    expect(table.methods('/none')).toEqual([]);
  });

  it('counts the layers, so that a route added later is seen', () => {
    const app = express();
    const table = routeTableOf(app);
    app.get('/a', () => {});
    const before = table.size;
    app.put('/b', () => {});
    expect(table.size).toBeGreaterThan(before);
    expect(table.methods('/b')).toEqual(['PUT']);
  });

  it('reads an object that is not an Express app as an empty table', () => {
    expect(routeTableOf({}).methods('/a')).toEqual([]);
    expect(routeTableOf({}).size).toBe(0);
  });
});
