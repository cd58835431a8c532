import { isEventOfType, parseEnvelope, parseEvent } from '../../lambda/shared/event-model.ts';

describe('parseEnvelope', () => {
  it('normalizes the documented shape', () => {
    // GIVEN a documented envelope
    const body = JSON.stringify({
      type: 'connection.created',
      timestamp: '2024-01-15T10:30:00Z',
      data: { clientReferenceId: 'user_456', connection: { id: 'conn_abc123', status: 'active' } },
    });
    // WHEN it is parsed
    const result = parseEnvelope(body);
    // THEN type, time, connection and client reference are lifted out
    expect(result).toEqual({
      ok: true,
      envelope: expect.objectContaining({
        type: 'connection.created',
        shape: 'documented',
        timestamp: '2024-01-15T10:30:00Z',
        connectionId: 'conn_abc123',
        clientReferenceId: 'user_456',
      }),
    });
  });

  it('normalizes the SDK shape', () => {
    const result = parseEnvelope({ eventType: 'rules.updated', live: true, data: { revision: '7' } });
    expect(result).toEqual({
      ok: true,
      envelope: { type: 'rules.updated', shape: 'sdk', live: true, data: { revision: '7' } },
    });
  });

  it('rejects a body that is not JSON', () => {
    expect(parseEnvelope('{nope')).toMatchObject({ ok: false, problem: 'invalid_json' });
  });

  it('rejects JSON without a type', () => {
    expect(parseEnvelope('{"data":{}}')).toMatchObject({ ok: false, problem: 'missing_event_type' });
    expect(parseEnvelope('[1,2]')).toMatchObject({ ok: false, problem: 'missing_event_type' });
    expect(parseEnvelope('{"type":""}')).toMatchObject({ ok: false, problem: 'missing_event_type' });
  });

  it('rejects a type or eventType that is not a non-empty string, whatever the other fields hold', () => {
    // GIVEN envelopes whose only fault is the type
    const bodies = [
      { type: 42, timestamp: '2024-01-15T10:30:00Z', data: {} },
      { eventType: '', live: true, data: {} },
      { type: null, eventType: ['connection.created'] },
    ];
    // WHEN they are parsed
    // THEN each is refused as missing its type
    for (const body of bodies) {
      expect(parseEnvelope(JSON.stringify(body))).toMatchObject({ ok: false, problem: 'missing_event_type' });
    }
  });

  it.each([
    [
      'a numeric timestamp',
      { type: 'connection.created', timestamp: 1705314600, data: { connection: { id: 'conn_1' } } },
      { type: 'connection.created', shape: 'documented', connectionId: 'conn_1' },
    ],
    [
      'a null timestamp',
      { type: 'rules.updated', timestamp: null },
      { type: 'rules.updated', shape: 'documented' },
    ],
    [
      'an object id',
      { type: 'future.event', id: { nested: true }, timestamp: '2024-01-15T10:30:00Z' },
      { type: 'future.event', shape: 'documented', timestamp: '2024-01-15T10:30:00Z' },
    ],
    [
      'a string live flag',
      { eventType: 'connection.expired', live: 'true', data: { connection: { id: 'conn_7' } } },
      { type: 'connection.expired', shape: 'sdk', connectionId: 'conn_7' },
    ],
  ])('accepts an envelope with %s, leaving that field out', (_case, body, expected) => {
    // GIVEN a correctly typed envelope whose optional top-level field has an unexpected type
    // WHEN it is parsed
    const result = parseEnvelope(JSON.stringify(body));
    // THEN it is an envelope with its type, and the odd field is simply absent
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const { data: _data, ...envelope } = result.envelope;
    expect(envelope).toEqual(expected);
  });

  it('reads a numeric top-level id as its decimal text, in either shape', () => {
    // GIVEN envelopes that carry a number as their id
    // WHEN they are parsed
    const documented = parseEnvelope('{"type":"future.event","id":123}');
    const sdk = parseEnvelope('{"eventType":"future.event","id":9007199254740991,"live":false}');
    // THEN the id is the number's text (the event key can use it), and the rest is read as usual
    expect(documented).toEqual({
      ok: true,
      envelope: { type: 'future.event', shape: 'documented', id: '123', data: undefined },
    });
    expect(sdk).toEqual({
      ok: true,
      envelope: { type: 'future.event', shape: 'sdk', live: false, id: '9007199254740991', data: undefined },
    });
  });

  it('ignores a leading byte order mark', () => {
    // GIVEN a body that starts with U+FEFF, as some senders write UTF-8
    const body = '\uFEFF{"type":"connection.created","data":{"connection":{"id":"conn_bom"}}}';
    // WHEN it is parsed
    const result = parseEnvelope(body);
    // THEN it is the envelope behind the mark
    expect(result).toMatchObject({
      ok: true,
      envelope: { type: 'connection.created', connectionId: 'conn_bom' },
    });
  });

  it('rejects a byte order mark followed by something that is not JSON', () => {
    expect(parseEnvelope('\uFEFFnot json')).toMatchObject({ ok: false, problem: 'invalid_json' });
    expect(parseEnvelope('\uFEFF')).toMatchObject({ ok: false, problem: 'invalid_json' });
  });
});

describe('parseEnvelope, field by field', () => {
  it('says what a body without a type lacks', () => {
    expect(parseEnvelope('{"data":{}}')).toEqual({
      ok: false,
      problem: 'missing_event_type',
      message: 'body is JSON but has no non-empty string "type" or "eventType"',
    });
  });

  it('leaves out the fields a body does not carry', () => {
    // GIVEN a documented body with a type and data only
    const result = parseEnvelope('{"type":"payout.created","data":{}}');
    // THEN the envelope has no key for the timestamp, id, connection or client reference
    expect(result.ok && Object.keys(result.envelope).sort()).toEqual(['data', 'shape', 'type']);
  });

  it('reads no connection id or client reference that is not a non-empty string', () => {
    const result = parseEnvelope({
      type: 'connection.updated',
      data: { clientReferenceId: 42, connection: { id: 7, clientReferenceId: '' } },
    });
    expect(result.ok && result.envelope).not.toHaveProperty('connectionId');
    expect(result.ok && result.envelope).not.toHaveProperty('clientReferenceId');
  });

  it("reads a beta event's client reference from its connection", () => {
    const result = parseEnvelope({
      type: 'realtime.chat_typing.updated',
      data: { connection: { id: 'conn_1', clientReferenceId: 'user_1' } },
    });
    expect(result.ok && result.envelope).toMatchObject({
      connectionId: 'conn_1',
      clientReferenceId: 'user_1',
    });
    // AND its null there as null: the connection has no user
    const noUser = parseEnvelope({
      type: 'realtime.chat_typing.updated',
      data: { connection: { id: 'conn_1', clientReferenceId: null } },
    });
    expect(noUser.ok && noUser.envelope.clientReferenceId).toBeNull();
  });
});

describe('parseEvent', () => {
  it('types the data of a known event', () => {
    const parsed = parseEnvelope({
      type: 'connection.expired',
      data: { connection: { id: 'c1', status: 'expired' } },
    });
    if (!parsed.ok) throw new Error('expected an envelope');
    const event = parseEvent(parsed.envelope);
    expect(isEventOfType(event, 'connection.expired') && event.data.connection.status).toBe('expired');
  });

  it('rejects the data of a known event that misses its connection', () => {
    const parsed = parseEnvelope({ type: 'connection.created', data: {} });
    if (!parsed.ok) throw new Error('expected an envelope');
    expect(() => parseEvent(parsed.envelope)).toThrow(/connection/);
  });

  it('accepts beta events whose optional fields changed type, reading those fields as absent', () => {
    // GIVEN beta events whose still-evolving optional fields arrive with new types
    const websocket = parseEnvelope({
      type: 'of.websocket.event.received',
      data: {
        connection: { id: 'conn_ws', clientReferenceId: 456 },
        environment: { name: 'live' },
        receivedAt: 1713495545,
        messageType: 1,
        payloadKey: ['of.websocket.event.received', 'toasts'],
        shapeSubtype: null,
        truncated: 'false',
        json: { toasts: {} },
        rawText: { toasts: {} },
        rawBase64: 0,
      },
    });
    const translated = parseEnvelope({
      type: 'realtime.chat_typing.updated',
      data: { connection: { id: 'conn_rt' }, environment: 3, eventBody: { id: 123456789 } },
    });
    if (!websocket.ok || !translated.ok) throw new Error('expected envelopes');
    // WHEN their data is checked against the beta schemas
    const websocketEvent = parseEvent(websocket.envelope);
    const translatedEvent = parseEvent(translated.envelope);
    // THEN both parse: the mistyped fields read as absent, the required ones and the payload stay
    if (!isEventOfType(websocketEvent, 'of.websocket.event.received')) throw new Error('expected websocket');
    expect(websocketEvent.data.connection?.id).toBe('conn_ws');
    expect(websocketEvent.data.json).toEqual({ toasts: {} });
    for (const field of [
      'environment',
      'receivedAt',
      'messageType',
      'payloadKey',
      'shapeSubtype',
      'truncated',
      'rawText',
      'rawBase64',
    ] as const) {
      expect(websocketEvent.data[field]).toBeUndefined();
    }
    expect(websocketEvent.data.connection?.clientReferenceId).toBeUndefined();
    expect(translatedEvent.data).toMatchObject({
      connection: { id: 'conn_rt' },
      eventBody: { id: 123456789 },
    });
    expect((translatedEvent.data as { environment?: unknown }).environment).toBeUndefined();
  });

  it('rejects a beta event whose connection has no id (a connection it cannot name)', () => {
    // GIVEN a beta event whose connection id is missing
    const parsed = parseEnvelope({
      type: 'of.websocket.event.received',
      data: { connection: {}, truncated: 1 },
    });
    if (!parsed.ok) throw new Error('expected an envelope');
    // WHEN / THEN checking its data fails on the connection id
    expect(() => parseEvent(parsed.envelope)).toThrow(/connection\.id/);
  });

  it.each([
    ['of.websocket.event.received', 'absent', {}],
    ['of.websocket.event.received', 'null', { connection: null }],
    ['realtime.chat_typing.updated', 'absent', {}],
    ['realtime.chat_typing.updated', 'null', { connection: null }],
  ])('accepts a beta %s event whose connection is %s', (type, _case, connection) => {
    // GIVEN a beta event without a connection, as one revision of OFAuth's Realtime guide shows it,
    // with its nullable fields null
    const parsed = parseEnvelope({
      type,
      timestamp: '2026-04-18T10:30:00Z',
      data: {
        ...connection,
        environment: null,
        shapeSubtype: null,
        rawText: null,
        rawBase64: null,
        json: { messageType: 'typing', typing: { id: 562630475 } },
        eventBody: { id: 123456789 },
      },
    });
    if (!parsed.ok) throw new Error('expected an envelope');
    // WHEN its data is checked
    const event = parseEvent(parsed.envelope);
    // THEN it parses: no connection, the nulls read as absent, the payload intact
    expect(event.connectionId).toBeUndefined();
    const data = event.data as Record<string, unknown>;
    const optional = type.startsWith('realtime.')
      ? ['connection', 'environment']
      : ['connection', 'environment', 'shapeSubtype', 'rawText', 'rawBase64'];
    for (const field of optional) {
      expect({ field, value: data[field] }).toEqual({ field, value: undefined });
    }
    expect(data.json).toEqual({ messageType: 'typing', typing: { id: 562630475 } });
  });

  it('reads null optional connection fields as absent, keeping a null clientReferenceId', () => {
    // GIVEN a connection event whose optional fields are all null
    const parsed = parseEnvelope({
      type: 'connection.updated',
      data: {
        clientReferenceId: null,
        connection: {
          id: 'conn_nulls',
          status: null,
          permissions: null,
          platformUserId: null,
          userData: { id: null, userId: null, name: null, username: null, avatar: null },
        },
      },
    });
    if (!parsed.ok) throw new Error('expected an envelope');
    // WHEN its data is checked
    const event = parseEvent(parsed.envelope);
    // THEN it parses, each null is absent, and clientReferenceId keeps its meaning ("no user")
    if (!isEventOfType(event, 'connection.updated')) throw new Error('expected connection.updated');
    const { connection } = event.data;
    expect(connection.status).toBeUndefined();
    expect(connection.permissions).toBeUndefined();
    expect(connection.platformUserId).toBeUndefined();
    expect(Object.values(connection.userData ?? {}).filter((value) => value !== undefined)).toEqual([]);
    expect(event.data.clientReferenceId).toBeNull();
  });

  it('reads a null userData, rules and revision as absent', () => {
    const connection = parseEnvelope({
      type: 'connection.created',
      data: { connection: { id: 'c1', userData: null } },
    });
    const rules = parseEnvelope({ type: 'rules.updated', data: { revision: null, rules: null } });
    if (!connection.ok || !rules.ok) throw new Error('expected envelopes');
    const connectionEvent = parseEvent(connection.envelope);
    const rulesEvent = parseEvent(rules.envelope);
    if (!isEventOfType(connectionEvent, 'connection.created')) throw new Error('expected created');
    if (!isEventOfType(rulesEvent, 'rules.updated')) throw new Error('expected rules.updated');
    expect(connectionEvent.data.connection.userData).toBeUndefined();
    expect(rulesEvent.data).toEqual({ revision: undefined, rules: undefined });
  });

  it('rejects a documented field of the wrong type (it is not a null)', () => {
    const parsed = parseEnvelope({
      type: 'connection.updated',
      data: { connection: { id: 'c1', permissions: 'profile:read' } },
    });
    if (!parsed.ok) throw new Error('expected an envelope');
    expect(() => parseEvent(parsed.envelope)).toThrow(/connection\.permissions/);
  });

  it('keeps unknown fields at every level', () => {
    // GIVEN an SDK-shaped event with fields nobody documented, at every level
    const parsed = parseEnvelope({
      eventType: 'connection.created',
      live: true,
      apiVersion: '2026-01',
      data: {
        clientReferenceId: 'u1',
        origin: 'link',
        connection: { id: 'c1', region: 'eu', userData: { userId: 'of_1', isVerified: true } },
      },
    });
    if (!parsed.ok) throw new Error('expected an envelope');
    // WHEN its data is checked
    const event = parseEvent(parsed.envelope);
    // THEN it parses and every unknown field is still there
    expect(event.data).toEqual({
      clientReferenceId: 'u1',
      origin: 'link',
      connection: { id: 'c1', region: 'eu', userData: { userId: 'of_1', isVerified: true } },
    });
  });

  it('passes an unknown type through', () => {
    const parsed = parseEnvelope({ type: 'something.new', data: { x: 1 } });
    if (!parsed.ok) throw new Error('expected an envelope');
    expect(parseEvent(parsed.envelope).data).toEqual({ x: 1 });
  });

  it('names each failing place in its error, (root) for data that is not an object, separated by "; "', () => {
    const envelope = (data: unknown) => {
      const result = parseEnvelope({ type: 'connection.updated', data });
      if (!result.ok) throw new Error('expected an envelope');
      return result.envelope;
    };
    expect(() => parseEvent(envelope('not an object'))).toThrow(
      /^data of event type "connection\.updated" does not match its schema: \(root\): /,
    );
    expect(() => parseEvent(envelope({ clientReferenceId: 5, connection: { id: '' } }))).toThrow(
      /clientReferenceId: [^;]+; connection\.id: /,
    );
  });
});
