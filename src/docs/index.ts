export { renderHtml } from './html.js';
export { type LintFinding, type LintOptions, type LintRule, lintCatalog } from './lint.js';
export { renderMarkdown } from './markdown.js';
export type { DocsOptions } from './model.js';
export { type OpenApiOptions, renderOpenApi } from './openapi.js';
export {
  type Change,
  type CodeContract,
  diffSnapshots,
  type Snapshot,
  type SnapshotDiff,
  type SnapshotOptions,
  snapshot,
  type WireContract,
} from './snapshot.js';
// sampleEvent stays public: the example event the reference page prints for an entry, so that a test can
// hold the page to what an endpoint really sends.
export { type EventOccurrence, sampleEvent, type WsDocsOptions } from './websocket.js';
