/**
 * Contract tests: every example payload of docs/ofauth-contract.md (examples/events/, with
 * their provenance in PROVENANCE.md there), in both envelope shapes, parses into the right typed
 * event; so do the SDK-shape examples, the beta event without a connection, and the variants the
 * SDKs type.
 */
import {
  isEventOfType,
  isKnownEventType,
  isTranslatedEventType,
  parseEnvelope,
  parseEvent,
  type RealtimeEvent,
} from '../../lambda/shared/event-model.ts';
import {
  connectionEvent,
  deliveryBody,
  EXAMPLE_EVENT_TYPES,
  exampleEvent,
  fixtureEvent,
  inShape,
  SDK_EXAMPLE_EVENT_TYPES,
  SHAPES,
  type Shape,
  sdkExampleEvent,
} from '../fixtures/events.ts';

function parseBody(body: string): RealtimeEvent {
  const envelope = parseEnvelope(body);
  if (!envelope.ok) throw new Error(`expected an envelope, got ${envelope.problem}`);
  return parseEvent(envelope.envelope);
}

describe.each(SHAPES)('the documented examples in the %s shape', (shape: Shape) => {
  it.each(EXAMPLE_EVENT_TYPES)('parses %s into its type', (type) => {
    // GIVEN the documented example, delivered in this envelope shape
    const example = exampleEvent(type);
    // WHEN its raw body is parsed as the processor does
    const event = parseBody(deliveryBody(inShape(example, shape)));
    // THEN it is typed as that event, with its data intact and nothing lost
    expect(event.type).toBe(type);
    expect(event.shape).toBe(shape);
    expect(isKnownEventType(type) || isTranslatedEventType(type)).toBe(true);
    expect(event.data).toEqual(example.data);
    if (shape === 'documented') expect(event.timestamp).toBe(example.timestamp);
    else expect(event.live).toBe(true);
  });

  it('lifts the connection id and client reference of connection events', () => {
    const event = parseBody(deliveryBody(inShape(exampleEvent('connection.created'), shape)));
    expect(event).toMatchObject({ connectionId: 'conn_abc123', clientReferenceId: 'user_456' });
    if (!isEventOfType(event, 'connection.created')) throw new Error('expected connection.created');
    expect(event.data.connection.userData?.username).toBe('janedoe');
  });

  it('keeps the beta websocket fields', () => {
    const event = parseBody(deliveryBody(inShape(exampleEvent('of.websocket.event.received'), shape)));
    if (!isEventOfType(event, 'of.websocket.event.received')) throw new Error('expected websocket event');
    expect(event.data).toMatchObject({
      payloadKey: 'of.websocket.event.received|toasts',
      shapeSubtype: 'websocket.structured.toasts',
      environment: 'live',
      truncated: false,
      rawText: '{"toasts":{}}',
    });
    expect(event.connectionId).toBe('conn_oy6c6kim3uo0cyiu3iy67m4d');
  });

  it('keeps the rules body of rules.updated', () => {
    const event = parseBody(deliveryBody(inShape(exampleEvent('rules.updated'), shape)));
    if (!isEventOfType(event, 'rules.updated')) throw new Error('expected rules.updated');
    expect(event.data.revision).toBe('202401151030-a1b2c3');
    expect(event.data.rules).toMatchObject({ checksum_constant: 443, app_token: expect.any(String) });
    expect(event.connectionId).toBeUndefined();
  });

  it('parses the variants the SDKs type (userData.userId, platformUserId, awaiting_2fa)', () => {
    // GIVEN a connection event as the SDKs type it
    const sdkTyped = connectionEvent('connection.updated', {
      timestamp: '2024-01-15T10:30:00Z',
      clientReferenceId: null,
      status: 'awaiting_2fa',
      platformUserId: 'pu_789',
      userData: { userId: 'of_user_456', name: 'Jane Doe', username: 'janedoe', avatar: null },
    });
    // WHEN it is parsed
    const event = parseBody(deliveryBody(inShape(sdkTyped, shape)));
    // THEN every SDK-typed field comes through typed
    if (!isEventOfType(event, 'connection.updated')) throw new Error('expected connection.updated');
    expect(event.data.connection).toMatchObject({
      status: 'awaiting_2fa',
      platformUserId: 'pu_789',
      userData: { userId: 'of_user_456' },
    });
    expect(event.clientReferenceId).toBeNull();
  });

  it('keeps fields OFAuth adds later', () => {
    const example = exampleEvent('connection.expired');
    const withExtra = { ...example, data: { ...example.data, reason: 'token_revoked' } };
    const event = parseBody(deliveryBody(inShape(withExtra, shape)));
    expect(event.data).toMatchObject({ reason: 'token_revoked' });
  });
});

describe('the SDK-shape examples', () => {
  it.each(SDK_EXAMPLE_EVENT_TYPES)(
    'parses %s with eventType, live, userData.userId and platformUserId',
    (type) => {
      // GIVEN the SDK-shape example of a connection event
      const example = sdkExampleEvent(type);
      // WHEN its raw body is parsed as the processor does
      const event = parseBody(deliveryBody(example));
      // THEN it is typed as that event, in the SDK shape, with the SDK-only fields intact
      expect(event).toMatchObject({ type, shape: 'sdk', live: true, connectionId: 'conn_abc123' });
      expect(event.timestamp).toBeUndefined();
      if (!isEventOfType(event, type)) throw new Error(`expected ${type}`);
      expect(event.data.connection.platformUserId).toBe('of_user_456');
      const userId = example.data.connection.userData?.userId;
      if (userId !== undefined) expect(event.data.connection.userData?.userId).toBe(userId);
      expect(event.data).toEqual(example.data);
    },
  );
});

describe('the beta event without a connection', () => {
  it('parses, with no connection and its json kept', () => {
    const example = fixtureEvent('beta/of.websocket.event.received.no-connection.json');
    const event = parseBody(deliveryBody(example as never));
    if (!isEventOfType(event, 'of.websocket.event.received')) throw new Error('expected websocket event');
    expect(event.connectionId).toBeUndefined();
    expect(event.data.connection).toBeUndefined();
    expect(event.data.json).toEqual({ messageType: 'typing', typing: { id: 562630475 } });
  });
});
