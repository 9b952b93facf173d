export { renderHtml } from './html.js';
export { type LintFinding, type LintOptions, type LintRule, lintCatalog, lintRules } from './lint.js';
export { markdownOf, renderMarkdown } from './markdown.js';
export {
  type DocEntry,
  type DocField,
  type DocGroup,
  type DocMember,
  type DocModel,
  type DocsOptions,
  describeCatalog,
  noDescription,
} from './model.js';
export { type MergeOptions, mergeOpenApi, type OpenApiOptions, renderOpenApi } from './openapi.js';
export {
  type Change,
  type CodeContract,
  diffSnapshots,
  type Snapshot,
  type SnapshotDiff,
  snapshot,
} from './snapshot.js';
export { renderJson, renderText } from './text.js';
export { type EventOccurrence, sampleEvent, type WsDocsOptions } from './websocket.js';
