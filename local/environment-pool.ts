/**
 * Execution environments of one local function, as Lambda runs them: each environment handles one
 * invocation at a time, a request that finds every environment busy gets a new one (a cold start)
 * until the pool is full, and then waits its turn. An environment whose invocation timed out is
 * thrown away, as Lambda resets it, because its handler may still be running.
 */

/** Options for {@link EnvironmentPool}. */
export interface EnvironmentPoolOptions<H> {
  /**
   * Creates one environment's handler. Give each its own module instance (see
   * `local/pipeline.ts`): handlers keep per-invocation state at module scope (logger keys, the
   * idempotency context, pending metrics), which two overlapping invocations would mix.
   */
  readonly create: (index: number) => H | Promise<H>;
  /** Environments at most. @default 1 */
  readonly size?: number;
}

/** One execution environment. */
export interface Environment<H> {
  /** 0 for the first environment created, then 1, 2, … (a replacement gets a new index). */
  readonly index: number;
  readonly handler: H;
}

/** A bounded pool of execution environments. */
export class EnvironmentPool<H> {
  readonly #create: (index: number) => H | Promise<H>;
  readonly #size: number;
  /** Idle environments, the most recently used last: reused first, as Lambda keeps warm ones busy. */
  readonly #idle: Array<Environment<H>> = [];
  readonly #waiting: Array<{
    readonly take: (environment: Environment<H>) => void;
    readonly fail: (error: unknown) => void;
  }> = [];
  #live = 0;
  #created = 0;

  constructor(options: EnvironmentPoolOptions<H>) {
    this.#create = options.create;
    this.#size = Math.max(1, Math.floor(options.size ?? 1));
  }

  /** The most environments that run at once. */
  get size(): number {
    return this.#size;
  }

  /** Environments created so far (replacements included): each one was a cold start. */
  get created(): number {
    return this.#created;
  }

  /**
   * Runs `task` in an idle environment, a new one, or the next one released. When `task` throws a
   * `discard` error (`isDiscard` answers true), the environment is not reused.
   */
  async run<T>(
    task: (environment: Environment<H>) => Promise<T>,
    isDiscard: (error: unknown) => boolean = () => false,
  ): Promise<T> {
    const environment = await this.#acquire();
    let keep = true;
    try {
      return await task(environment);
    } catch (error) {
      keep = !isDiscard(error);
      throw error;
    } finally {
      if (keep) this.#release(environment);
      else this.#retire();
    }
  }

  /** Creates the first environment now (if none exists yet), so that one that cannot be created fails early. */
  async warm(): Promise<void> {
    if (this.#created > 0) return;
    this.#release(await this.#spawn());
  }

  async #acquire(): Promise<Environment<H>> {
    const idle = this.#idle.pop();
    if (idle) return idle;
    if (this.#live < this.#size) return this.#spawn();
    return new Promise((take, fail) => this.#waiting.push({ take, fail }));
  }

  async #spawn(): Promise<Environment<H>> {
    this.#live += 1;
    const index = this.#created++;
    try {
      return { index, handler: await this.#create(index) };
    } catch (error) {
      this.#live -= 1;
      throw error;
    }
  }

  #release(environment: Environment<H>): void {
    const next = this.#waiting.shift();
    if (next) next.take(environment);
    else this.#idle.push(environment);
  }

  /** Frees a discarded environment's place; a waiting request gets a fresh environment. */
  #retire(): void {
    this.#live -= 1;
    const next = this.#waiting.shift();
    if (next) this.#spawn().then(next.take, next.fail);
  }
}
