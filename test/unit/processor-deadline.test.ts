/**
 * The invocation deadline (lambda/processor/deadline.ts) on its own, with fake timers: when its
 * signal aborts, what disposing it stops, which margins it takes, and the deferral error's words.
 */
import { jest } from '@jest/globals';
import type { Context } from 'aws-lambda';
import {
  checkDeadlineMargin,
  DeadlineDeferralError,
  invocationDeadline,
} from '../../lambda/processor/deadline.ts';

/** A context whose time left counts down with the (fake) clock from `ms`. */
function contextWithTimeLeft(ms: number): Context {
  const start = Date.now();
  return { getRemainingTimeInMillis: () => ms - (Date.now() - start) } as unknown as Context;
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('the invocation deadline', () => {
  it('aborts its signal exactly the margin before the timeout, not earlier', () => {
    // GIVEN 30 s left and a 5 s margin
    const deadline = invocationDeadline(contextWithTimeLeft(30_000), 5_000);
    // WHEN 25 s less a millisecond pass, THEN it has not aborted; at 25 s it has
    jest.advanceTimersByTime(24_999);
    expect(deadline.signal.aborted).toBe(false);
    jest.advanceTimersByTime(1);
    expect(deadline.signal.aborted).toBe(true);
    expect((deadline.signal.reason as DOMException).name).toBe('TimeoutError');
  });

  it('never aborts once disposed', () => {
    const deadline = invocationDeadline(contextWithTimeLeft(30_000), 5_000);
    deadline.dispose();
    jest.advanceTimersByTime(60_000);
    expect(deadline.signal.aborted).toBe(false);
  });

  it('sets none without a context', () => {
    const deadline = invocationDeadline(undefined, 5_000);
    jest.advanceTimersByTime(60_000);
    expect([deadline.signal.aborted, deadline.tooLateToStart()]).toEqual([false, undefined]);
  });

  it('accepts a margin of 0 and rejects a negative one', () => {
    expect(() => checkDeadlineMargin(0)).not.toThrow();
    expect(() => checkDeadlineMargin(-1)).toThrow(
      'deadlineMarginMs must be a non-negative finite number, got -1',
    );
  });
});

describe('the error of a record not started', () => {
  it('names itself and says which message and how much time was left', () => {
    const error = new DeadlineDeferralError('m-1', 1200);
    expect(error.name).toBe('DeadlineDeferralError');
    expect(error.message).toBe("message m-1 not started: 1200 ms left before the function's timeout");
  });
});
