/**
 * Which lines a delivery's success path writes at each log level, with the loggers the functions
 * build from `POWERTOOLS_LOG_LEVEL` as deployed. At `INFO` (the stack's default) a delivery that is
 * handed on and processed writes no line of its own (its trail is the event record: `trace`); the
 * processor's one line per invocation stays. At `DEBUG` each event's lines come back. A re-send,
 * a retry, a duplicate or a rejection still logs at `INFO`.
 */
import type { SQSRecord } from 'aws-lambda';
import type { ConnectionRegistry } from '../../lambda/processor/connections.ts';
import { createProcessorHandler } from '../../lambda/processor/create-handler.ts';
import type { RulesStore } from '../../lambda/processor/rules.ts';
import { createVerifierHandler } from '../../lambda/verifier/create-handler.ts';
import { HandOff } from '../../lambda/verifier/hand-off.ts';
import { StaticSigningSecrets } from '../../lambda/verifier/secrets.ts';
import { FakeStore } from '../fixtures/handler-context.ts';
import { type CapturedOutput, captureStdout } from '../fixtures/output.ts';
import { lambdaContext, sqsEvent, sqsRecord } from '../fixtures/sqs-events.ts';
import { InMemoryEventQueue, InMemoryEventRecords } from '../support/in-memory-verifier.ts';
import {
  apiGatewayEvent,
  fixtureBody,
  ofAuthDelivery,
  TEST_OFAUTH_SECRET,
  lambdaContext as verifierContext,
} from '../support/signing.ts';

/** A lifecycle event, a translated beta event and a relayed websocket message: each default handler's kind. */
const BODIES = [
  fixtureBody('connection.created'),
  fixtureBody('realtime.chat_typing.updated'),
  fixtureBody('of.websocket.event.received'),
];

const PER_EVENT_LINES = [
  'delivery handed on',
  'event processed',
  'translated event received',
  'websocket event received',
];

let savedLevel: string | undefined;
let output: CapturedOutput;

beforeEach(() => {
  savedLevel = process.env.POWERTOOLS_LOG_LEVEL;
  output = captureStdout();
});

afterEach(() => {
  output.restore();
  if (savedLevel === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
  else process.env.POWERTOOLS_LOG_LEVEL = savedLevel;
});

/** The verifier and the processor, each with the logger it builds for itself at `level`. */
function functionsAt(level: 'INFO' | 'DEBUG', recordClock: () => number = Date.now) {
  process.env.POWERTOOLS_LOG_LEVEL = level;
  const records = new InMemoryEventRecords(recordClock);
  const queue = new InMemoryEventQueue();
  const verifier = createVerifierHandler({
    secrets: new StaticSigningSecrets([TEST_OFAUTH_SECRET]),
    handOff: new HandOff({ records, queue }),
  });
  const processor = createProcessorHandler({
    connections: new FakeStore() as unknown as ConnectionRegistry,
    rules: new FakeStore() as unknown as RulesStore,
  });
  return {
    records,
    queue,
    verifier,
    deliver: (body: string) => verifier(ofAuthDelivery({ body }), verifierContext()),
    /** Processes what the verifier enqueued, as the event source hands it on (first receive). */
    processQueued: () =>
      processor(
        sqsEvent(
          ...queue.events.map(({ body, attributes }) =>
            sqsRecord({ body, eventKey: attributes.eventKey, receivedAt: attributes.receivedAt }),
          ),
        ),
        lambdaContext(),
      ),
    processor,
  };
}

/** The messages of the log lines written so far (EMF metrics lines have none). */
const messages = () =>
  output.lines().flatMap((line) => (typeof line.message === 'string' ? [line.message] : []));

describe('the success path’s log lines by level', () => {
  it('writes no per-event line at INFO: only the processor’s line per invocation', async () => {
    // GIVEN both functions at INFO, the stack's default
    const functions = functionsAt('INFO');
    // WHEN three events of the default handlers' kinds are handed on and processed
    for (const body of BODIES) expect((await functions.deliver(body)).statusCode).toBe(202);
    expect(await functions.processQueued()).toEqual({ batchItemFailures: [] });
    // THEN the only line is the batch's; the record holds each event's fate
    expect(messages()).toEqual(['batch processed']);
    expect([...functions.records.records.values()].map((record) => record.deliveries)).toEqual([1, 1, 1]);
  });

  it('writes each event’s lines at DEBUG', async () => {
    // GIVEN both functions at DEBUG (`-c logLevel=DEBUG`, or `npm start`'s default)
    const functions = functionsAt('DEBUG');
    // WHEN the same three events are handed on and processed
    for (const body of BODIES) expect((await functions.deliver(body)).statusCode).toBe(202);
    expect(await functions.processQueued()).toEqual({ batchItemFailures: [] });
    // THEN each event's hand-on, its processing and its beta handler's line are there
    const per = (message: string) => messages().filter((line) => line === message).length;
    expect(PER_EVENT_LINES.map((message) => [message, per(message)])).toEqual([
      ['delivery handed on', 3],
      ['event processed', 3],
      ['translated event received', 1],
      ['websocket event received', 1],
    ]);
    expect(per('batch processed')).toBe(1);
  });

  it('still logs at INFO a re-send, a duplicate, a rejection and a retried event’s success', async () => {
    // GIVEN both functions at INFO, and one event handed on whose claim's lease has run out
    let now = Date.now();
    const { records, queue, verifier, deliver, processor } = functionsAt('INFO', () => now);
    const body = fixtureBody('connection.created');
    await deliver(body);
    now += 5_001;
    // WHEN the sender re-sends it, then sends it once more after it was processed, and a forged body
    await deliver(body);
    records.markProcessed(queue.events[0]!.attributes.eventKey);
    await deliver(body);
    await verifier(apiGatewayEvent({ body }), verifierContext());
    // AND the processor takes the event on its second receive (its first attempt failed)
    const retried: SQSRecord = sqsRecord({ body, eventKey: queue.events[0]!.attributes.eventKey });
    const secondReceive = { ...retried, attributes: { ...retried.attributes, ApproximateReceiveCount: '2' } };
    await processor(sqsEvent(secondReceive), lambdaContext());
    // THEN each of them has its INFO or WARN line, and no first-time success line is written
    expect(messages()).toEqual([
      'delivery handed on again',
      'duplicate delivery: already processed or dead-lettered',
      'delivery rejected',
      'event processed',
      'batch processed',
    ]);
    expect(output.logs('event processed')).toEqual([
      expect.objectContaining({ level: 'INFO', receiveCount: 2 }),
    ]);
  });
});
