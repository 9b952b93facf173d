import type { StandardSchemaV1 } from '@standard-schema/spec';

/** The members an entry declares: member name → the details field it holds. */
type MemberMap<M> = M extends readonly (infer F extends string)[]
  ? { [K in F]: K }
  : M extends Readonly<Record<string, string>>
    ? M
    : never;

/** The members an error of a code carries, typed from its details; untyped for a code that declares none. */
export type MembersOf<D> = D extends { members: infer M; details: infer S extends StandardSchemaV1 }
  ? {
      readonly [K in keyof MemberMap<M>]: MemberMap<M>[K] extends keyof NonNullable<
        StandardSchemaV1.InferInput<S>
      >
        ?
            | NonNullable<StandardSchemaV1.InferInput<S>>[MemberMap<M>[K]]
            | (undefined extends StandardSchemaV1.InferInput<S> ? undefined : never)
        : never;
    }
  : Readonly<Record<string, unknown>> | undefined;

/** The fields of a definition's details (its schema's input keys), which its `members` may name. */
type DetailsFieldOf<D> = D extends { details: infer S extends StandardSchemaV1 }
  ? keyof NonNullable<StandardSchemaV1.InferInput<S>> & string
  : never;

/**
 * Holds each entry's `members` to fields of its own details: a member naming no field does not compile.
 * `defineErrors` takes its entries as `E & CheckedMembers<E>`.
 */
export type CheckedMembers<E> = {
  [K in keyof E]: E[K] extends { members: unknown }
    ? {
        members: readonly DetailsFieldOf<E[K]>[] | { readonly [member: string]: DetailsFieldOf<E[K]> };
      }
    : unknown;
};
