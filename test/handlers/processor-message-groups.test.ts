/**
 * A batch's message groups (connections) run side by side, each in order: one connection's slow
 * handler does not hold the others back, each record's log lines carry its own keys while another
 * record runs, and the record lines report the invocation's cold start as the batch lines do.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { SQSRecord } from 'aws-lambda';
import type { ConnectionRegistry } from '../../lambda/processor/connections.ts';
import { createProcessorHandler } from '../../lambda/processor/handler.ts';
import { processMessageGroups, recordsByMessageGroup } from '../../lambda/processor/message-groups.ts';
import type { EventHandler, EventHandlers } from '../../lambda/processor/router.ts';
import type { RulesStore } from '../../lambda/processor/rules.ts';
import type { RealtimeEvent } from '../../lambda/shared/event-model.ts';
import { FakeStore, testLogger } from '../fixtures/handler-context.ts';
import { type CapturedOutput, captureStdout } from '../fixtures/output.ts';
import { connectionUpdatedRecord, lambdaContext, sqsEvent } from '../fixtures/sqs-events.ts';

let output: CapturedOutput;
beforeEach(() => {
  output = captureStdout();
});
afterEach(() => output.restore());

const update = connectionUpdatedRecord;

/** A promise and the function that settles it. */
function gate(): { readonly opened: Promise<void>; open(): void } {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/** Resolves when `promise` does, or after `ms` (then with `false`), so a sequential run ends too. */
async function within(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

function processorWith(handlers: Partial<EventHandlers>, options: { concurrentGroups?: boolean } = {}) {
  const handle = createProcessorHandler({
    ...options,
    connections: new FakeStore() as unknown as ConnectionRegistry,
    rules: new FakeStore() as unknown as RulesStore,
    logger: testLogger(),
    metrics: new Metrics({ namespace: 'OFAuthWebhooks', serviceName: 'ofauth-processor' }),
    handlers,
  });
  return (...records: SQSRecord[]) => handle(sqsEvent(...records), lambdaContext());
}

/**
 * A connection.updated handler that journals each connection's start and end; A's waits until B's
 * has started, or `waitMs` (so a run that handles the groups one after another ends).
 */
function waitingForB(journal: string[], waitMs: number): EventHandler<RealtimeEvent<'connection.updated'>> {
  const bStarted = gate();
  return async (event) => {
    const id = event.data.connection.id;
    journal.push(`${id} start`);
    if (id === 'A') journal.push((await within(bStarted.opened, waitMs)) ? 'A saw B start' : 'A timed out');
    else bStarted.open();
    journal.push(`${id} end`);
  };
}

describe('message groups in one batch', () => {
  it("runs another connection's events while one connection's handler waits", async () => {
    // GIVEN A's handler, which waits until B's handler has started (or 2 s, so a run that
    // handles the groups one after another ends, and fails)
    const journal: string[] = [];
    const run = processorWith({ 'connection.updated': waitingForB(journal, 2_000) });
    // WHEN a batch of A-1 then B-1 is processed
    const response = await run(update('A', 1), update('B', 1));
    // THEN B ran while A waited, and both succeeded
    expect(journal).toEqual(['A start', 'B start', 'B end', 'A saw B start', 'A end']);
    expect(response.batchItemFailures).toEqual([]);
  });

  it('runs the groups one after another with concurrentGroups: false', async () => {
    // GIVEN the same waiting handler, in a processor that runs one group at a time
    const journal: string[] = [];
    const run = processorWith(
      { 'connection.updated': waitingForB(journal, 50) },
      { concurrentGroups: false },
    );
    // WHEN a batch of A-1 then B-1 is processed
    await run(update('A', 1), update('B', 1));
    // THEN B started only after A had ended
    expect(journal).toEqual(['A start', 'A timed out', 'A end', 'B start', 'B end']);
  });

  it("gives each record's lines its own keys while another record runs", async () => {
    // GIVEN handlers that log through their context while the other connection's record runs
    const bStarted = gate();
    const aLogged = gate();
    const onUpdated: EventHandler<RealtimeEvent<'connection.updated'>> = async (event, context) => {
      const id = event.data.connection.id;
      if (id === 'A') {
        await within(bStarted.opened, 2_000);
        context.logger.info('handler line', { handledConnection: id });
        aLogged.open();
      } else {
        bStarted.open();
        await within(aLogged.opened, 2_000);
        context.logger.info('handler line', { handledConnection: id });
      }
    };
    const run = processorWith({ 'connection.updated': onUpdated });
    // WHEN A-1 and B-1 are processed in one batch
    await run(update('A', 1), update('B', 1));
    // THEN every handler line and "event processed" line carries its own record's keys
    const handlerLines = output.logs('handler line');
    expect(handlerLines).toHaveLength(2);
    for (const line of handlerLines) {
      expect(line).toMatchObject({
        connectionId: line.handledConnection,
        eventId: `key-${line.handledConnection}-1`,
        eventType: 'connection.updated',
      });
    }
    expect(
      output
        .logs('event processed')
        .map((line) => `${line.connectionId} ${line.eventId}`)
        .sort(),
    ).toEqual(['A key-A-1', 'B key-B-1']);
  });

  it('reports the cold start on the record lines of the first invocation only, as on the batch line', async () => {
    // GIVEN an on-demand environment (Powertools reports cold starts only there)
    const initialization = process.env.AWS_LAMBDA_INITIALIZATION_TYPE;
    process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';
    try {
      const run = processorWith({});
      // WHEN two invocations run, one after the other
      await run(update('A', 1), update('B', 1));
      await run(update('A', 2), update('B', 2));
      // THEN the first invocation's lines say cold_start true, the second's false
      const coldStarts = (message: string) => output.logs(message).map((line) => line.cold_start);
      expect(coldStarts('event processed')).toEqual([true, true, false, false]);
      expect(coldStarts('batch processed')).toEqual([true, false]);
    } finally {
      if (initialization === undefined) delete process.env.AWS_LAMBDA_INITIALIZATION_TYPE;
      else process.env.AWS_LAMBDA_INITIALIZATION_TYPE = initialization;
    }
  });
});

describe('processMessageGroups', () => {
  it('groups records by message group, each in batch order', () => {
    const records = [update('A', 1), update('B', 1), update('A', 2), update('C', 1), update('B', 2)];
    expect(recordsByMessageGroup(records).map((group) => group.map((record) => record.messageId))).toEqual([
      ['A-1', 'A-2'],
      ['B-1', 'B-2'],
      ['C-1'],
    ]);
  });

  it('runs the groups concurrently by default, and one after another when asked', async () => {
    // GIVEN A-1, whose handler waits until B-1's has started (or 50 ms)
    const journalOf = async (...concurrent: [] | [boolean]) => {
      const bStarted = gate();
      const journal: string[] = [];
      const handler = async (record: SQSRecord) => {
        if (record.messageId === 'A-1')
          journal.push((await within(bStarted.opened, 50)) ? 'A saw B' : 'A alone');
        else bStarted.open();
        journal.push(`${record.messageId} done`);
      };
      await processMessageGroups(
        sqsEvent(update('A', 1), update('B', 1)),
        handler,
        lambdaContext(),
        ...concurrent,
      );
      return journal;
    };
    // WHEN the batch runs with the default, then with `concurrent` false
    // THEN by default B ran while A waited; asked to, B waited for A
    expect(await journalOf()).toEqual(['B-1 done', 'A saw B', 'A-1 done']);
    expect(await journalOf(false)).toEqual(['A alone', 'A-1 done', 'B-1 done']);
  });

  it('keeps records without a message group id together, in batch order', () => {
    const withoutGroup = (messageId: string): SQSRecord => {
      const record = update('A', 1);
      const { MessageGroupId: _group, ...attributes } = record.attributes;
      return { ...record, messageId, attributes };
    };
    const groups = recordsByMessageGroup([withoutGroup('x'), update('B', 1), withoutGroup('y')]);
    expect(groups.map((group) => group.map((record) => record.messageId))).toEqual([['x', 'y'], ['B-1']]);
  });

  it("reports failures in batch order, each failed group's later records included", async () => {
    // GIVEN a batch where B-1 fails late (after A's records have failed) and C succeeds
    const records = [update('A', 1), update('B', 1), update('A', 2), update('C', 1), update('B', 2)];
    const handled: string[] = [];
    const handler = async (record: SQSRecord) => {
      if (record.messageId === 'B-1') await new Promise((wake) => setTimeout(wake, 20));
      if (record.messageId === 'A-1' || record.messageId === 'B-1')
        throw new Error(`${record.messageId} failed`);
      handled.push(record.messageId);
    };
    // WHEN the batch is processed
    const response = await processMessageGroups(sqsEvent(...records), handler, lambdaContext());
    // THEN A-1, B-1 and the records after them in their groups are failures, listed in batch order
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual([
      'A-1',
      'B-1',
      'A-2',
      'B-2',
    ]);
    expect(handled).toEqual(['C-1']);
  });
});
