/**
 * The deadline a batch honours, so that no handler runs after its invocation has ended.
 *
 * middy's early timeout would answer Lambda a few milliseconds before the function's timeout while
 * the batch went on: the environment stays alive for the next invocation, the orphaned handlers
 * resume in it, and Lambda retries the same messages, so one event could run twice at once, or
 * after later events of its connection. The processor therefore has no early timeout: it answers
 * only once every started handler has settled, and when a handler outlasts the function's timeout,
 * Lambda's own timeout ends the environment and every message of the batch comes back. To answer
 * in time instead, the batch starts no record once less than the margin is left (the record and
 * the rest of its connection's records come back later, in order), and the handlers' signal aborts
 * at that point, so the kit's AWS calls (and a handler's own, given the signal) stop.
 */
import type { Context } from 'aws-lambda';

/** How long before the function's timeout the batch stops starting records. */
export const DEFAULT_DEADLINE_MARGIN_MS = 5_000;

/** The largest share of an invocation's time the margin takes (the default 30 s timeout: 1/6). */
const MAX_MARGIN_SHARE = 1 / 5;

/** The deadline of one invocation. */
export interface InvocationDeadline {
  /** Aborts (reason: a `TimeoutError` DOMException) when the deadline is reached. */
  readonly signal: AbortSignal;
  /** The milliseconds left before the function's timeout, when a record may no longer start; else `undefined`. */
  tooLateToStart(): number | undefined;
  /** Stops the timer: call it when the batch is done. */
  dispose(): void;
}

/** Throws unless `marginMs` is a non-negative finite number. */
export function checkDeadlineMargin(marginMs: number): void {
  if (!(Number.isFinite(marginMs) && marginMs >= 0)) {
    throw new TypeError(`deadlineMarginMs must be a non-negative finite number, got ${marginMs}`);
  }
}

/**
 * The deadline of the invocation of `context`: `marginMs` before the function's timeout, the
 * margin capped at a fifth of the time left now, so that a function whose timeout is close to or
 * shorter than the margin still spends most of its time running records. Without a context that tells a positive time left, there is none.
 */
export function invocationDeadline(context: Context | undefined, marginMs: number): InvocationDeadline {
  const controller = new AbortController();
  const remaining = context?.getRemainingTimeInMillis?.bind(context);
  const atStart = remaining?.();
  // A context that cannot tell the time left (a hand-made one in a test or tool) sets none.
  if (!remaining || !(Number.isFinite(atStart) && (atStart as number) > 0)) {
    return { signal: controller.signal, tooLateToStart: () => undefined, dispose: () => {} };
  }
  const startMs = atStart as number;
  const margin = Math.min(marginMs, startMs * MAX_MARGIN_SHARE);
  const timer = setTimeout(
    () => controller.abort(new DOMException("the invocation's deadline is near", 'TimeoutError')),
    startMs - margin,
  );
  return {
    signal: controller.signal,
    tooLateToStart: () => {
      const left = remaining();
      return left < margin ? left : undefined;
    },
    dispose: () => clearTimeout(timer),
  };
}

/** The error of a record the batch did not start because its invocation was near its deadline. */
export class DeadlineDeferralError extends Error {
  constructor(messageId: string, remainingMs: number) {
    super(`message ${messageId} not started: ${remainingMs} ms left before the function's timeout`);
    this.name = 'DeadlineDeferralError';
  }
}
