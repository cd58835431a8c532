/**
 * A one-line progress bar for `send --count`, redrawn in place on a terminal. Callers create it
 * only when stderr is a TTY, so piped output stays clean.
 */

/** Where the bar is drawn. */
export interface ProgressStream {
  write(text: string): unknown;
  readonly columns?: number;
}

/** A progress bar over `total` steps that also counts failures. */
export class ProgressBar {
  #failed = 0;
  #lastDraw = 0;
  readonly #started = performance.now();

  constructor(
    private readonly stream: ProgressStream,
    private readonly total: number,
  ) {}

  /** Records progress; redraws at most every 50 ms, and always at the end. */
  update(done: number, failed: boolean): void {
    if (failed) this.#failed += 1;
    const now = performance.now();
    if (done < this.total && now - this.#lastDraw < 50) return;
    this.#lastDraw = now;
    const elapsed = (now - this.#started) / 1000;
    const rate = elapsed > 0 ? done / elapsed : 0;
    const label = ` ${done}/${this.total}  ${rate.toFixed(0)}/s${this.#failed ? `  ${this.#failed} failed` : ''}`;
    const width = Math.max(10, Math.min(40, (this.stream.columns ?? 80) - label.length - 4));
    const filled = Math.round((done / this.total) * width);
    this.stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]${label}\x1b[K`);
  }

  /** Ends the line. */
  done(): void {
    this.stream.write('\n');
  }
}
