/**
 * One run per input name at a time on an instance. The event of a newer upload may arrive
 * while a run for the same name is in flight; its run waits here for the first to end, so two
 * versions of one name are never processed side by side (a redelivery of the same version
 * joins the run in flight instead, see `runs-in-flight.ts`).
 */
/** Waits in turn per name. */
export class NameLocks {
  readonly #tails = new Map<string, Promise<void>>();

  /** Resolves with a release function once every earlier holder of `name` has released it. */
  async acquire(name: string): Promise<() => void> {
    const previous = this.#tails.get(name) ?? Promise.resolve();
    let release: () => void = () => undefined;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.#tails.set(name, tail);
    void tail.then(() => {
      if (this.#tails.get(name) === tail) this.#tails.delete(name);
    });
    await previous;
    return release;
  }

  /** Names held or waited for now. */
  get size(): number {
    return this.#tails.size;
  }
}
