/**
 * Runs a task again and again, waiting `intervalMs` after each run ends (never two runs at
 * once), until stopped: how the local runtime keeps looking at the input container.
 */

/** Repeats `task` every `intervalMs` between `start()` and `stop()`. */
export class Poller {
  readonly #task: () => Promise<unknown>;
  readonly #intervalMs: number;
  readonly #onError: (error: unknown) => void;
  /** Between `start()` and `stop()`. */
  #running = false;
  /** A run is under way or the next one is scheduled. */
  #looping = false;
  #timer: NodeJS.Timeout | undefined;

  /** `onError` gets what a run threw; polling goes on. */
  constructor(task: () => Promise<unknown>, intervalMs: number, onError: (error: unknown) => void) {
    this.#task = task;
    this.#intervalMs = intervalMs;
    this.#onError = onError;
  }

  /** Runs the task now, then every `intervalMs` after each run ends. */
  start(): void {
    this.#running = true;
    if (!this.#looping) this.#tick();
  }

  /** No run starts after this; a run under way finishes on its own. */
  stop(): void {
    this.#running = false;
    if (this.#timer === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#looping = false;
  }

  #tick(): void {
    this.#timer = undefined;
    this.#looping = true;
    this.#task()
      .catch(this.#onError)
      .finally(() => {
        if (this.#running) this.#timer = setTimeout(() => this.#tick(), this.#intervalMs);
        else this.#looping = false;
      });
  }
}
