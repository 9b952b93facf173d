/** A keyed in-memory table, bounded, whose misses and overflows raise the codes the caller names. */
import { randomUUID } from 'node:crypto';

export class Table<T extends { id: string }> {
  readonly rows = new Map<string, T>();

  constructor(
    private readonly notFound: () => Error,
    private readonly prefix = '',
    /** The most rows it holds; an insert past it raises `full()`. @default no limit */
    readonly limit = Number.POSITIVE_INFINITY,
    private readonly full: () => Error = () => new RangeError('the table is full'),
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

  /** Raises `full()` when a new row would not fit: a caller checks it before work a refusal would waste. */
  ensureRoom(): void {
    if (this.rows.size >= this.limit) throw this.full();
  }

  /** Stores `row`, replacing the row of its id; a new row past `limit` raises `full()`. */
  insert(row: T): T {
    if (!this.rows.has(row.id)) this.ensureRoom();
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
