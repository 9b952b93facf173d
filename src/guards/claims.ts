import { invalidOption } from '../catalog/config-error.js';

/** The part of a store a guard's state lives in: each is its own key space on every store. */
export type Space = 'rate' | 'window' | 'quota' | 'lease' | 'ban' | 'ws-rate' | 'ws-connections';

interface Claim {
  /** Whether the author named it: two guards named alike share their state on purpose. */
  readonly explicit: boolean;
}

// The names guards keep their state under, per store and space, across every guard of the process.
const claims = new WeakMap<object, Map<string, Claim>>();

/** A name a guard keeps its state under, in one space of its store. */
export interface NameClaim {
  readonly space: Space;
  readonly name: string;
  /** Whether the author named it: two guards named alike share their state on purpose. */
  readonly explicit: boolean;
}

/**
 * Claims the names of a guard being defined on `store`, all or none, so that two guards never meet on the
 * store's keys by accident. Refused, when the guard is made:
 * - a name another guard holds, unless both were named by their authors (a budget shared on purpose);
 *   a name made from the limit and period (`100-per-60s`) says nothing of the key, and two guards keyed
 *   on different things would spend one count;
 * - a name that begins another's with `:` (`api` and `api:v2`): `api:` + `v2:victim` is `api:v2:` + `victim`.
 */
export function claimNames(
  store: object,
  guard: string,
  wanted: readonly NameClaim[],
  option = 'name',
): void {
  let names = claims.get(store);
  if (names === undefined) {
    names = new Map();
    claims.set(store, names);
  }
  for (const { space, name, explicit } of wanted) {
    const held = names.get(`${space}:${name}`);
    if (held !== undefined) {
      if (explicit && held.explicit) continue;
      throw invalidOption(
        `${guard}: another guard keeps its state under "${name}" on this store; give each its own ${option} so that their counts stay apart, or the same ${option} to both to share one`,
      );
    }
    for (const other of names.keys()) {
      if (!other.startsWith(`${space}:`)) continue;
      const otherName = other.slice(space.length + 1);
      if (otherName.startsWith(`${name}:`) || name.startsWith(`${otherName}:`)) {
        throw invalidOption(
          `${guard}: the names "${otherName}" and "${name}" would share keys on this store ("${otherName}:" begins "${name}:" or the other way); rename one`,
        );
      }
    }
  }
  for (const { space, name, explicit } of wanted) names.set(`${space}:${name}`, { explicit });
}
