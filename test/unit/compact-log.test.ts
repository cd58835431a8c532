import { compactLogLine, LOG_FORMAT_ENV_VAR, logFormat } from '../../local/log-to-stdout.ts';

/** A processor line as Powertools prints it in a Lambda environment. */
const processed = {
  level: 'INFO',
  message: 'event processed',
  timestamp: '2026-12-07T01:50:03.123Z',
  service: 'ofauth-processor',
  sampling_rate: 0,
  xray_trace_id: '1-abc',
  cold_start: true,
  function_arn: 'arn:aws:lambda:us-east-1:000000000000:function:ofauth-processor',
  function_memory_size: '256',
  function_name: 'ofauth-processor',
  function_request_id: 'c0ffee',
  eventId: 'msg_2pQxYz',
  eventType: 'connection.created',
  connectionId: 'conn_abc123',
  eventTimestamp: '2024-01-15T10:30:00.000Z',
  eventTimeSource: 'envelope',
  lagMs: 12,
};

describe('the compact log line (npm start on a terminal)', () => {
  it('reads time, level, function, message, then the event’s type, connection and id, then its own keys', () => {
    expect(compactLogLine(processed)).toBe(
      '01:50:03.123 INFO  processor event processed  connection.created conn_abc123 msg_2pQxYz  eventTimestamp=2024-01-15T10:30:00.000Z eventTimeSource=envelope lagMs=12',
    );
  });

  it('shortens a hashed event key, and shows an error by name and message without its stack', () => {
    const line = compactLogLine({
      level: 'ERROR',
      message: 'event failed',
      timestamp: '2026-12-07T01:50:04.000Z',
      service: 'ofauth-processor',
      eventId: 'a'.repeat(64),
      eventType: 'connection.updated',
      connectionId: 'demo_fail_1',
      error: {
        name: 'DemoFailureError',
        message: 'failing on purpose',
        stack: 'DemoFailureError: …\n    at x',
      },
    });
    expect(line).toBe(
      `01:50:04.000 ERROR processor event failed  connection.updated demo_fail_1 ${'a'.repeat(12)}…  error=DemoFailureError: failing on purpose`,
    );
    expect(line).not.toContain('\n');
  });

  it('shows the verifier’s eventKey where the processor’s eventId goes', () => {
    expect(
      compactLogLine({
        level: 'INFO',
        message: 'delivery handed on',
        timestamp: '2026-12-07T01:47:51.829Z',
        service: 'ofauth-verifier',
        eventType: 'connection.created',
        connectionId: 'conn_mine',
        eventKey: 'b'.repeat(64),
        statusCode: 202,
      }),
    ).toBe(
      `01:47:51.829 INFO  verifier  delivery handed on  connection.created conn_mine ${'b'.repeat(12)}…  statusCode=202`,
    );
  });

  it('keeps a line without event keys short, and objects as JSON', () => {
    expect(
      compactLogLine({
        level: 'WARN',
        message: 'delivery rejected',
        timestamp: '2026-12-07T01:50:05.000Z',
        service: 'ofauth-verifier',
        statusCode: 401,
        error: 'invalid_signature',
        headers: { a: 1 },
      }),
    ).toBe(
      '01:50:05.000 WARN  verifier  delivery rejected  statusCode=401 error=invalid_signature headers={"a":1}',
    );
  });
});

describe('which log format npm start prints', () => {
  it('prints compact lines on a terminal and JSON lines into a pipe, unless told otherwise', () => {
    expect(logFormat(undefined, true)).toBe('compact');
    expect(logFormat(undefined, false)).toBe('json');
    expect(logFormat('json', true)).toBe('json');
    expect(logFormat(' compact ', false)).toBe('compact');
  });

  it('rejects another value, naming the variable and its choices', () => {
    expect(() => logFormat('yaml', true)).toThrow(
      `${LOG_FORMAT_ENV_VAR} must be json or compact, got "yaml"`,
    );
  });
});
