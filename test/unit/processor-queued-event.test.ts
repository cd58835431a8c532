import { readQueuedEvent, UnprocessableMessageError } from '../../lambda/processor/queued-event.ts';
import { MESSAGE_ATTRIBUTES } from '../../lambda/shared/queue-message.ts';
import { exampleEvent, toSdkShape } from '../fixtures/events.ts';
import { replayedRecord, sqsRecord } from '../fixtures/sqs-events.ts';
import { svixMessageId } from '../support/svix-ids.ts';

describe('reading a queued event', () => {
  it('takes the event time from the envelope timestamp and the id from the eventKey attribute', () => {
    // GIVEN a documented delivery queued with its attributes
    const record = sqsRecord({
      body: exampleEvent('connection.created'),
      eventKey: 'msg_2Jd0abc',
      receivedAt: '2024-01-15T10:30:05Z',
    });
    // WHEN it is read
    const queued = readQueuedEvent(record);
    // THEN time, id and raw body come from where the contract says
    expect(queued.eventTime.toISOString()).toBe('2024-01-15T10:30:00.000Z');
    expect(queued.eventId).toBe('msg_2Jd0abc');
    expect(queued.rawBody).toBe(record.body);
    expect(queued.event.type).toBe('connection.created');
    expect(queued.attributes).toEqual({
      eventKey: 'msg_2Jd0abc',
      eventType: 'connection.created',
      receivedAt: '2024-01-15T10:30:05Z',
      signatureScheme: 'ofauth',
    });
  });

  it('keeps the SQS FIFO sequence number, digit for digit', () => {
    // GIVEN a record whose SequenceNumber is beyond a JavaScript number's precision
    const sequenceNumber = '18446744073709551617';
    const record = sqsRecord({ body: exampleEvent('connection.updated'), sequenceNumber });
    // WHEN it is read
    const queued = readQueuedEvent(record);
    // THEN the sequence number is passed on as the exact string (a number would round it)
    expect(queued.sequenceNumber).toBe(sequenceNumber);
  });

  it('leaves the sequence number out when the record has none', () => {
    const record = sqsRecord({ body: exampleEvent('connection.updated'), sequenceNumber: null });
    expect(readQueuedEvent(record)).not.toHaveProperty('sequenceNumber');
  });

  it('uses the receivedAt attribute for an SDK-shaped event, which has no timestamp', () => {
    const record = sqsRecord({
      body: toSdkShape(exampleEvent('connection.created')),
      receivedAt: '2024-01-15T10:31:00.250Z',
    });
    expect(readQueuedEvent(record).eventTime.toISOString()).toBe('2024-01-15T10:31:00.250Z');
  });

  it('takes the time of a Svix message id for an SDK-shaped event delivered through Svix', () => {
    // GIVEN an SDK-shaped event (no timestamp) whose event key is its Svix message id, minted
    // a minute before the verifier received this retry
    const record = sqsRecord({
      body: toSdkShape(exampleEvent('connection.updated')),
      eventKey: svixMessageId(new Date('2024-01-15T10:30:00Z')),
      signatureScheme: 'svix',
      receivedAt: '2024-01-15T10:31:00Z',
    });
    // WHEN it is read
    const queued = readQueuedEvent(record);
    // THEN the event time is the id's creation time, and the source says so
    expect(queued.eventTime.toISOString()).toBe('2024-01-15T10:30:00.000Z');
    expect(queued.eventTimeSource).toBe('svix-id');
    expect(queued.receivedAt?.toISOString()).toBe('2024-01-15T10:31:00.000Z');
  });

  it('keeps the envelope timestamp over a Svix message id', () => {
    const record = sqsRecord({
      body: exampleEvent('connection.updated'),
      eventKey: svixMessageId(new Date('2024-01-15T09:00:00Z')),
      signatureScheme: 'svix',
    });
    const queued = readQueuedEvent(record);
    expect(queued.eventTime.toISOString()).toBe('2024-01-15T11:30:00.000Z');
    expect(queued.eventTimeSource).toBe('envelope');
  });

  it('reads no time from the event key of an OFAuth-Signature delivery, which is not a Svix id', () => {
    // GIVEN a key that looks like a Svix id but came from the envelope or the body, not a signed svix-id
    const record = sqsRecord({
      body: toSdkShape(exampleEvent('connection.updated')),
      eventKey: svixMessageId(new Date('2024-01-15T10:30:00Z')),
      signatureScheme: 'ofauth',
      receivedAt: '2024-01-15T10:31:00Z',
    });
    // WHEN it is read / THEN the receipt time orders it
    const queued = readQueuedEvent(record);
    expect(queued.eventTime.toISOString()).toBe('2024-01-15T10:31:00.000Z');
    expect(queued.eventTimeSource).toBe('received');
  });

  it('falls back to SQS SentTimestamp, and to the message id for the event id', () => {
    const record = sqsRecord({
      body: toSdkShape(exampleEvent('rules.updated')),
      receivedAt: null,
      eventKey: null,
      messageId: 'm-1',
      sentTimestamp: Date.parse('2024-01-15T10:32:00Z'),
    });
    const queued = readQueuedEvent(record);
    expect(queued.eventTime.toISOString()).toBe('2024-01-15T10:32:00.000Z');
    expect(queued.eventId).toBe('m-1');
  });

  it('ignores an envelope timestamp that is not a date', () => {
    const record = sqsRecord({
      body: { ...exampleEvent('connection.expired'), timestamp: 'yesterday' },
      receivedAt: '2024-01-15T10:33:00Z',
    });
    expect(readQueuedEvent(record).eventTime.toISOString()).toBe('2024-01-15T10:33:00.000Z');
  });

  it('lists only the attributes the record carries, and no signature scheme it does not know', () => {
    // GIVEN a record without receivedAt whose signatureScheme attribute names no scheme OFAuth uses
    const record = sqsRecord({ body: exampleEvent('connection.updated'), eventKey: 'k1', receivedAt: null });
    record.messageAttributes[MESSAGE_ATTRIBUTES.signatureScheme] = {
      dataType: 'String',
      stringValue: 'hmac',
    };
    // WHEN it is read
    const { attributes } = readQueuedEvent(record);
    // THEN the handler's attributes hold the type and key only: no key for what is missing or unknown
    expect(Object.keys(attributes).sort()).toEqual(['eventKey', 'eventType']);
    expect(attributes).toEqual({ eventKey: 'k1', eventType: 'connection.updated' });
  });

  it.each(['x42', '42x', '4 2', ''])(
    "ignores a replay's original sequence number that is not a decimal number (%j)",
    (originalSequenceNumber) => {
      // GIVEN a replayed message whose originalSequenceNumber attribute is not all digits
      const original = sqsRecord({ body: exampleEvent('connection.updated'), sequenceNumber: '42' });
      // WHEN it is read
      const queued = readQueuedEvent(replayedRecord(original, originalSequenceNumber));
      // THEN it has no sequence number (it loses every tie) rather than a value the stores cannot order
      expect(queued.replay).toBe(true);
      expect(queued).not.toHaveProperty('sequenceNumber');
    },
  );

  it("keeps a replay's original sequence number of 40 digits", () => {
    const original = sqsRecord({ body: exampleEvent('connection.updated'), sequenceNumber: '42' });
    const digits = '1234567890'.repeat(4);
    expect(readQueuedEvent(replayedRecord(original, digits)).sequenceNumber).toBe(digits);
  });

  it.each([
    ['invalid_json', '{"type":"connection.created",'],
    ['missing_event_type', '{"data":{"connection":{"id":"c1"}}}'],
    ['invalid_data', '{"type":"connection.updated","data":{"clientReferenceId":"u1"}}'],
  ])('rejects a body with %s', (reason, body) => {
    const read = () => readQueuedEvent(sqsRecord({ body, groupId: 'c1' }));
    expect(read).toThrow(UnprocessableMessageError);
    expect(read).toThrow(expect.objectContaining({ reason }));
  });
});
