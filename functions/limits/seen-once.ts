/**
 * A bounded memory of keys seen before, for decisions of the kind "the first time, retry;
 * the second time, give up" (an image that timed out gets one more try). Per instance: another
 * instance may give the same key its own first try, which only adds a retry.
 */
export class SeenOnce {
  readonly #keys = new Set<string>();

  constructor(private readonly capacity = 10_000) {}

  /** True the first time `key` is offered (and remembers it), false after. */
  first(key: string): boolean {
    if (this.#keys.has(key)) return false;
    this.#keys.add(key);
    // A Set iterates in insertion order: the oldest key goes first.
    if (this.#keys.size > this.capacity)
      this.#keys.delete(this.#keys.values().next().value as string);
    return true;
  }
}
