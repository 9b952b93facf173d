import type { BuiltinRole, StandardCode, StandardDefinitions } from './standard.js';
import type { WsTwins } from './ws-roles.js';

// The code of the entry of `E` that claims `Role` (none: never).
type ClaimOf<E, Role> = {
  [K in keyof E]: E[K] extends { readonly roles: readonly (infer Claimed)[] }
    ? Role extends Claimed
      ? K
      : never
    : never;
}[keyof E] &
  string;
type StandardCodeOf<Role> = {
  [C in StandardCode]: StandardDefinitions[C]['role'] extends Role ? C : never;
}[StandardCode];
// A standard code under its new name, or `Fallback` when it is omitted (the code of its status's generic
// role, or the catalog's bad-request or internal code: decided at definition).
type NameOf<C extends string, R, O, Fallback> = C extends O
  ? Fallback
  : C extends keyof R
    ? R[C] extends string
      ? R[C]
      : C
    : C;
type HttpCodeOf<Role, E, R, O, Fallback> = [ClaimOf<E, Role>] extends [never]
  ? NameOf<StandardCodeOf<Role>, R, O, Fallback>
  : ClaimOf<E, Role>;

/**
 * The code that answers each built-in mechanism of a catalog with entries `E`, renames `R` and omitted codes
 * `O`: the entry that claims it, else its standard code under its new name; a WebSocket mechanism no entry
 * claims is answered as its HTTP twin. `Fallback` where an omitted code leaves the choice to definition.
 */
export type BuiltinCodes<E, R, O, Fallback extends string> = {
  readonly [Role in BuiltinRole]: Role extends keyof WsTwins
    ? [ClaimOf<E, Role>] extends [never]
      ? HttpCodeOf<WsTwins[Role], E, R, O, Fallback>
      : ClaimOf<E, Role>
    : HttpCodeOf<Role, E, R, O, Fallback>;
};
