/**
 * How `npm start` stops: once, whatever asks first (a signal, the death of npm, a part that
 * exited), and by force only when a person asks twice.
 *
 * Ctrl-C reaches this process twice: the terminal signals its whole foreground process group, and
 * npm relays the signal it got to its child (`@npmcli/run-script`). Those two copies can arrive
 * more than a second apart when the machine is busy, so the copy that npm relays is recognised
 * by count, not by time: under npm, the first repeat of a signal is taken as npm's copy and
 * ignored. A repeat after that (a second Ctrl-C) exits at once with 130.
 */

/** Stops the pipeline once, whatever asks first. */
export interface StopControl {
  /**
   * Asks to stop, saying why; the process exits with `exitCode` once everything has stopped.
   * `signal` names the signal that asked, so that a repeat of it can force the exit.
   */
  stop(why: string, exitCode?: number, signal?: NodeJS.Signals): void;
  /** Whether a stop was asked for. */
  readonly requested: boolean;
  /** Waited for before the stop ends, so that a late write (the state file) cannot outlive it. */
  stateWritten: Promise<void>;
}

/** What a stop does, and what it needs from the process (replaced in tests). */
export interface StopControlOptions {
  /** Stops everything that was started; called once. */
  stopAll: () => Promise<void>;
  /** Whether npm started this process, and so relays each SIGINT and SIGTERM it gets. */
  relayedByNpm: boolean;
  /** @default `process.stderr.write` */
  write?: (text: string) => void;
  /** @default `process.exit` */
  exit?: (code: number) => void;
  /** @default `Date.now` */
  now?: () => number;
}

/** Without npm, a repeat within this window is taken for the same press. */
export const SAME_PRESS_WINDOW_MS = 1000;

/** The exit code of a forced stop: 128 + SIGINT, as a shell reports a Ctrl-C. */
export const FORCED_EXIT_CODE = 130;

export function stopControl(options: StopControlOptions): StopControl {
  const write = options.write ?? ((text: string) => process.stderr.write(text));
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const now = options.now ?? Date.now;
  let stopping: Promise<void> | undefined;
  let firstAt = 0;
  const repeats = new Map<NodeJS.Signals, number>();

  /** Whether a repeat of `signal` is a copy of the press that started the stop. */
  const isCopy = (signal: NodeJS.Signals | undefined): boolean => {
    if (signal && options.relayedByNpm) {
      const seen = repeats.get(signal) ?? 0;
      repeats.set(signal, seen + 1);
      return seen === 0;
    }
    return now() - firstAt < SAME_PRESS_WINDOW_MS;
  };

  const control: StopControl = {
    get requested() {
      return stopping !== undefined;
    },
    stateWritten: Promise.resolve(),
    stop: (why, exitCode = 0, signal) => {
      if (stopping) {
        if (isCopy(signal)) return;
        write(`\n${why} again: exiting now\n`);
        exit(FORCED_EXIT_CODE);
        return;
      }
      firstAt = now();
      write(`\n${why}: stopping the local pipeline…\n`);
      stopping = options.stopAll().then(() => control.stateWritten.catch(() => undefined));
      stopping.then(
        () => {
          write('local pipeline stopped\n');
          exit(exitCode);
        },
        (error: unknown) => {
          write(`could not stop cleanly: ${String(error)}\n`);
          exit(1);
        },
      );
    },
  };
  return control;
}
