import { defineErrors, wsDefinitions } from 'faultline';
import { renderMarkdown } from 'faultline/docs';
import { describe, expect, it } from 'vitest';

const catalog = defineErrors({ ...wsDefinitions });

describe('the WebSocket limits table', () => {
  it('shows the error-event budget an endpoint without a message rate answers under', () => {
    const page = renderMarkdown(catalog, {
      websocket: { errorEvents: { rate: 10, burst: 20, closeAfter: 100 } },
    });
    expect(page).toContain(
      '| Error events per connection | 20 at once, then 10 per second; past it refused messages go unanswered; after 100 unanswered refusals the connection closes with 1008 |',
    );
  });

  it('shows when a message rate closes a connection that keeps over it', () => {
    const page = renderMarkdown(catalog, {
      websocket: { rate: { limit: 20, window: 1000, over: 'drop', closeAfter: 100 } },
    });
    expect(page).toContain(
      '| Message rate per session | 20 per 1 s; over it messages are dropped; after 100 in a row the connection closes |',
    );
  });

  it('says when every message is answered', () => {
    const page = renderMarkdown(catalog, { websocket: { errorEvents: 'off' } });
    expect(page).toContain('| Error events per connection | every message is answered |');
  });
});
