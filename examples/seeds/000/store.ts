/** A keyed in-memory table whose misses and duplicates raise the codes the caller names. */
import { randomUUID } from 'node:crypto';

export class Table<T extends { id: string }> {
  readonly rows = new Map<string, T>();

  constructor(
    private readonly notFound: () => Error,
    private readonly prefix = '',
  ) {}

  newId(): string {
    return `${this.prefix}${randomUUID().slice(0, 8)}`;
  }

  get(id: string): T {
    const row = this.rows.get(id);
    if (!row) throw this.notFound();
    return row;
  }

  find(predicate: (row: T) => boolean): T | undefined {
    for (const row of this.rows.values()) if (predicate(row)) return row;
    return undefined;
  }

  insert(row: T): T {
    this.rows.set(row.id, row);
    return row;
  }

  delete(id: string): void {
    this.get(id);
    this.rows.delete(id);
  }

  list(): T[] {
    return [...this.rows.values()];
  }
}
