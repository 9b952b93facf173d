import type { Catalog } from './types.js';

/**
 * What reading an error body takes of a catalog: its entries, its codes for the built-in mechanisms, the
 * lookups by code and message, and the narrowing. A catalog made by `defineErrors` is one; so is a
 * client-side catalog built from a catalog's JSON, without its schemas (`clientCatalog` of `faultline/client`).
 */
export type ReadableCatalog<Defs = any> = Pick<
  Catalog<Defs>,
  'entries' | 'codes' | 'builtins' | 'is' | 'get' | 'byMessage' | 'match' | '~definitions'
>;
