import type { Context } from 'aws-lambda';
import type { ProcessorHandlerOptions } from '../../lambda/processor/handler.ts';
import type { EventHandlers, HandlerContext } from '../../lambda/processor/router.ts';
import type { RealtimeEvent } from '../../lambda/shared/event-model.ts';
import { type CapturedOutput, captureStdout } from '../fixtures/output.ts';
import { fakeStoreProcessor, metricTotal } from '../fixtures/processor.ts';
import { lambdaContext, sqsEvent, connectionUpdatedRecord as update } from '../fixtures/sqs-events.ts';

let output: CapturedOutput;
beforeEach(() => {
  output = captureStdout();
});
afterEach(() => output.restore());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A Lambda context whose remaining time is whatever `clock.remainingMs` says. */
function controlledContext(remainingMs: number) {
  const clock = { remainingMs };
  return { clock, context: lambdaContext({ getRemainingTimeInMillis: () => clock.remainingMs }) };
}

/** The id `<connection>-<n>` of a fixture `connection.updated`. */
const idOf = (event: RealtimeEvent<'connection.updated'>) =>
  `${event.data.connection.id}-${event.data.connection.permissions?.[0]?.slice(1)}`;

function processorWith(
  onUpdated: (event: RealtimeEvent<'connection.updated'>, context: HandlerContext) => Promise<void>,
  options: ProcessorHandlerOptions = {},
) {
  return fakeStoreProcessor({
    handlers: { 'connection.updated': onUpdated } as Partial<EventHandlers>,
    ...options,
  });
}

describe('the processor near its deadline', () => {
  it('answers with the batch response, not a middy timeout, and runs nothing after it answered', async () => {
    // GIVEN 1 s left, a 100 ms margin, and a first handler that outlasts the remaining time
    // (ignoring its signal) and leaves less than the margin behind
    const journal: string[] = [];
    const { clock, context } = controlledContext(1_000);
    let firstDone!: () => void;
    const firstFinished = new Promise<void>((resolve) => {
      firstDone = resolve;
    });
    const handle = processorWith(
      async (event) => {
        journal.push(`start ${idOf(event)}`);
        clock.remainingMs = 50;
        await sleep(1_100);
        journal.push(`end ${idOf(event)}`);
        firstDone();
      },
      { deadlineMarginMs: 100 },
    );
    // WHEN a batch of two events of one connection is processed
    const invocation = handle(sqsEvent(update('A', 1), update('A', 2)), context);
    const outcome = await invocation.then(
      (response) => ({ response }),
      (error: Error) => ({ error: `${error.name}: ${error.message}` }),
    );
    journal.push('invocation ended');
    await firstFinished;
    await sleep(20);
    // THEN the invocation answers once the started handler has settled, handing back the event it
    // did not start; and no handler ran after the answer
    expect(outcome).toEqual({ response: { batchItemFailures: [{ itemIdentifier: 'A-2' }] } });
    expect(journal).toEqual(['start A-1', 'end A-1', 'invocation ended']);
  });

  it('hands back the records it did not start, with the rest of their connection, without running them', async () => {
    // GIVEN 30 s left at the start (the default timeout), the default margin (5 s), and handlers
    // that spend 13 s each
    const ran: string[] = [];
    const { clock, context } = controlledContext(30_000);
    const handle = processorWith(async (event) => {
      ran.push(idOf(event));
      clock.remainingMs -= 13_000;
    });
    // WHEN connections A (three events) and B (two) are processed, one after the other
    const response = await handle(
      sqsEvent(update('A', 1), update('B', 1), update('A', 2), update('B', 2), update('A', 3)),
      context,
    );
    // THEN A-1 and B-1 ran (30 s, then 17 s left), and every later record (4 s left) was handed back
    expect(ran).toEqual(['A-1', 'B-1']);
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual([
      'A-2',
      'B-2',
      'A-3',
    ]);
    // AND each is counted as deferred, logged once per connection, and not as a failed event
    expect(metricTotal(output, 'EventsDeferredByDeadline')).toBe(3);
    expect(metricTotal(output, 'ProcessingFailures')).toBe(0);
    const deferredLines = output.logs('event not started: the invocation is near its deadline');
    expect(deferredLines.map((line) => line.messageId).sort()).toEqual(['A-2', 'B-2']);
    for (const line of deferredLines) expect(line).toMatchObject({ level: 'WARN', remainingMs: 4_000 });
    expect(output.logs('batch processed')).toEqual([
      expect.objectContaining({ records: 5, failed: 0, deferredByDeadline: 3, skippedAfterGroupFailure: 0 }),
    ]);
  });

  it('starts a record when exactly the margin is left', async () => {
    const ran: string[] = [];
    const { clock, context } = controlledContext(30_000);
    const handle = processorWith(async (event) => {
      ran.push(idOf(event));
      clock.remainingMs = 5_000;
    });
    const response = await handle(sqsEvent(update('A', 1), update('A', 2)), context);
    expect(ran).toEqual(['A-1', 'A-2']);
    expect(response.batchItemFailures).toEqual([]);
  });

  it('aborts the handlers’ signal at the deadline, and a handler that heeds it fails its record', async () => {
    // GIVEN 150 ms left, a 100 ms margin (30 ms used: a fifth of 150), and a handler that waits for
    // its signal
    const { context } = controlledContext(150);
    const seen: { aborted: boolean; reason: string }[] = [];
    const handle = processorWith(
      async (_event, handlerContext) => {
        await new Promise((resolve) => handlerContext.signal.addEventListener('abort', resolve));
        seen.push({ aborted: handlerContext.signal.aborted, reason: String(handlerContext.signal.reason) });
        handlerContext.signal.throwIfAborted();
      },
      { deadlineMarginMs: 100 },
    );
    // WHEN one event is processed
    const response = await handle(sqsEvent(update('A', 1)), context);
    // THEN the signal aborted, saying why, and the record came back to be retried
    expect(seen).toEqual([{ aborted: true, reason: expect.stringMatching(/TimeoutError: .*deadline/) }]);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'A-1' }]);
  });

  it('gives each invocation a signal of its own that is not aborted when it starts', async () => {
    const signals: AbortSignal[] = [];
    const handle = processorWith(async (_event, handlerContext) => {
      signals.push(handlerContext.signal);
    });
    await handle(sqsEvent(update('A', 1)), lambdaContext());
    await handle(sqsEvent(update('A', 2)), lambdaContext());
    expect(signals.map((signal) => signal.aborted)).toEqual([false, false]);
    expect(signals[0]).not.toBe(signals[1]);
  });

  it('keeps the margin within a fifth of the time an invocation starts with, so a short timeout still runs', async () => {
    // GIVEN a function timeout (3 s) shorter than the default margin (5 s): the margin used is 600 ms
    const ran: string[] = [];
    const { clock, context } = controlledContext(3_000);
    const leftAfter: Record<string, number> = { 'A-1': 600, 'A-2': 599 };
    const handle = processorWith(async (event) => {
      ran.push(idOf(event));
      clock.remainingMs = leftAfter[idOf(event)] ?? 0;
    });
    // WHEN three events run, the first leaving exactly the margin, the second less
    const response = await handle(sqsEvent(update('A', 1), update('A', 2), update('A', 3)), context);
    // THEN the first two ran and the third was handed back
    expect(ran).toEqual(['A-1', 'A-2']);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'A-3' }]);
  });

  it.each([
    ['no getRemainingTimeInMillis', undefined],
    ['a time left that is not a number', () => Number.NaN],
    ['no time left at all', () => 0],
  ])('sets no deadline for a context with %s', async (_case, getRemainingTimeInMillis) => {
    // GIVEN a hand-made context that cannot tell the time left
    const aborted: boolean[] = [];
    const handle = processorWith(async (_event, handlerContext) => {
      await sleep(20);
      aborted.push(handlerContext.signal.aborted);
    });
    const context = { ...lambdaContext(), getRemainingTimeInMillis } as unknown as Context;
    // WHEN a batch of handlers that take a while runs
    const response = await handle(sqsEvent(update('A', 1), update('A', 2)), context);
    // THEN every record ran, and the signal had not aborted under them
    expect(response.batchItemFailures).toEqual([]);
    expect(aborted).toEqual([false, false]);
  });

  it('rejects a margin that is not a non-negative number of milliseconds', () => {
    for (const deadlineMarginMs of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => processorWith(async () => {}, { deadlineMarginMs })).toThrow(
        `deadlineMarginMs must be a non-negative finite number, got ${deadlineMarginMs}`,
      );
    }
  });
});
