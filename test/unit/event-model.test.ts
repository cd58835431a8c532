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

  it('passes an unknown type through', () => {
    const parsed = parseEnvelope({ type: 'something.new', data: { x: 1 } });
    if (!parsed.ok) throw new Error('expected an envelope');
    expect(parseEvent(parsed.envelope).data).toEqual({ x: 1 });
  });
});
