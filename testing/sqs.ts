/**
 * SQS FIFO records as the Lambda event source mapping hands them to the processor: the body as
 * the verifier enqueued it, the connection's message group, and the message attributes the
 * processor reads (`lambda/shared/queue-message.ts`).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Context, SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import { parseEnvelope } from '../lambda/shared/event-model.ts';
import { MESSAGE_ATTRIBUTES, messageGroupIdFor } from '../lambda/shared/queue-message.ts';

/** One message to put in a batch. */
export interface SqsRecordInput {
  /** An event (serialized as OFAuth sends it) or a raw body string, sent verbatim. */
  readonly body: object | string;
  /** @default the connection id of the body, as the verifier computes it */
  readonly groupId?: string;
  /** @default SHA-256 of the body; `null` leaves the attribute out */
  readonly eventKey?: string | null;
  /** @default when the record is built; `null` leaves the attribute out */
  readonly receivedAt?: string | null;
  /** @default 'ofauth' */
  readonly signatureScheme?: 'ofauth' | 'svix';
  /** @default a random UUID */
  readonly messageId?: string;
  /** Epoch milliseconds. @default now */
  readonly sentTimestamp?: number;
  /**
   * The FIFO `SequenceNumber` (a decimal string of up to 39 digits).
   * @default the next of a counter shared by every record built here, so records built later have
   *   larger numbers, as SQS assigns them; `null` leaves the attribute out
   */
  readonly sequenceNumber?: string | null;
}

const QUEUE_ARN = 'arn:aws:sqs:us-east-1:123456789012:ofauth-events.fifo';
let sequence = 0;

/** The next FIFO sequence number (and receipt handle counter) of this module. */
export function nextSequence(): { readonly receiptHandle: string; readonly sequenceNumber: string } {
  sequence += 1;
  return {
    receiptHandle: `receipt-${sequence}`,
    sequenceNumber: String(18_000_000_000_000_000_000n + BigInt(sequence)),
  };
}

/**
 * An SQS FIFO record of one event, as the processor receives it.
 *
 * @example
 * const record = sqsRecord({ body: exampleEvent('connection.created') });
 */
export function sqsRecord(input: SqsRecordInput): SQSRecord {
  const body = typeof input.body === 'string' ? input.body : JSON.stringify(input.body);
  const parsed = parseEnvelope(body);
  const groupId = input.groupId ?? (parsed.ok ? messageGroupIdFor(parsed.envelope) : 'rejected');
  const attributes: SQSMessageAttributes = {};
  const put = (name: string, value: string | null | undefined) => {
    if (value !== null && value !== undefined) attributes[name] = { dataType: 'String', stringValue: value };
  };
  const eventKey =
    input.eventKey === undefined ? createHash('sha256').update(body).digest('hex') : input.eventKey;
  put(MESSAGE_ATTRIBUTES.eventKey, eventKey);
  put(MESSAGE_ATTRIBUTES.eventType, parsed.ok ? parsed.envelope.type : undefined);
  put(MESSAGE_ATTRIBUTES.signatureScheme, input.signatureScheme ?? 'ofauth');
  put(
    MESSAGE_ATTRIBUTES.receivedAt,
    input.receivedAt === undefined ? new Date().toISOString() : input.receivedAt,
  );
  const next = nextSequence();
  const sent = String(input.sentTimestamp ?? Date.now());
  return {
    messageId: input.messageId ?? randomUUID(),
    receiptHandle: next.receiptHandle,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: sent,
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: sent,
      ...(input.sequenceNumber !== null && { SequenceNumber: input.sequenceNumber ?? next.sequenceNumber }),
      MessageGroupId: groupId,
      MessageDeduplicationId: eventKey ?? randomUUID(),
    },
    messageAttributes: attributes,
    md5OfBody: createHash('md5').update(body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: QUEUE_ARN,
    awsRegion: 'us-east-1',
  };
}

/**
 * A batch of records, in the order given: records, or inputs of {@link sqsRecord}.
 *
 * @example
 * const response = await handler(sqsEvent({ body: exampleEvent('connection.created') }), lambdaContext());
 */
export function sqsEvent(...records: readonly (SQSRecord | SqsRecordInput)[]): SQSEvent {
  return { Records: records.map((record) => ('eventSource' in record ? record : sqsRecord(record))) };
}

/** A Lambda context good enough for middy and Powertools. */
export function lambdaContext(overrides: Partial<Context> = {}): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'ofauth-processor',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:ofauth-processor',
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/ofauth-processor',
    logStreamName: 'test',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
    ...overrides,
  };
}
