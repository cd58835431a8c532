/**
 * The one API Gateway HTTP API (payload 2.0) event builder, used by the local gateway, the
 * benchmarks and the tests: the event API Gateway hands the verifier for a request.
 */
import { httpApiEvent, isTextContentType, rawHeaderPairs } from '../../dev/api-gateway-event.ts';
import { WEBHOOK_PATH } from '../../lambda/shared/deployment-names.ts';

describe('httpApiEvent', () => {
  it('lower-cases header names, joins repeated headers with commas and moves cookies out', () => {
    // GIVEN a request whose headers repeat a name and carry cookies
    const event = httpApiEvent({
      headers: [
        ['Content-Type', 'application/json'],
        ['X-Repeated', 'one'],
        ['x-repeated', 'two'],
        ['Cookie', 'c1=v1; c2=v2'],
        ['User-Agent', 'unit'],
      ],
      body: '{}',
    });
    // THEN the event has them as API Gateway passes them
    expect(event.headers['x-repeated']).toBe('one,two');
    expect(event.headers['content-type']).toBe('application/json');
    expect(event.headers.cookie).toBeUndefined();
    expect(event.cookies).toEqual(['c1=v1', 'c2=v2']);
    expect(event.requestContext.http.userAgent).toBe('unit');
  });

  it('reads the path and query of the url, joining repeated parameters', () => {
    // WHEN the url carries a query string
    const event = httpApiEvent({ url: `${WEBHOOK_PATH}?a=1&a=2&b=x%20y&c+d=e+f&flag`, body: '{}' });
    // THEN the path is the route's and the parameters are decoded
    expect(event).toMatchObject({
      routeKey: `POST ${WEBHOOK_PATH}`,
      rawPath: WEBHOOK_PATH,
      rawQueryString: 'a=1&a=2&b=x%20y&c+d=e+f&flag',
      queryStringParameters: { a: '1,2', b: 'x y', 'c d': 'e f', flag: '' },
      requestContext: { http: { method: 'POST', path: WEBHOOK_PATH } },
    });
  });

  it('leaves the query parameters out when there is no query', () => {
    const event = httpApiEvent({ body: '{}' });
    expect(event).not.toHaveProperty('queryStringParameters');
    expect(event).not.toHaveProperty('cookies');
    expect(event.rawQueryString).toBe('');
  });

  it.each([
    ['application/json', false],
    ['application/json; charset=utf-8', false],
    ['text/plain', false],
    ['application/xml', false],
    ['application/octet-stream', true],
    ['application/x-www-form-urlencoded', true],
    [undefined, true],
  ])('passes a %s body base64-encoded: %s, decoding to the bytes sent', (contentType, base64) => {
    // GIVEN bytes with this content type
    const bytes = Buffer.from('{"type":"connection.created","name":"Zoë"}');
    // WHEN the event is built
    const event = httpApiEvent({ headers: contentType ? { 'content-type': contentType } : {}, body: bytes });
    // THEN the body is base64 exactly when API Gateway encodes it, and holds the same bytes
    expect(event.isBase64Encoded).toBe(base64);
    expect(isTextContentType(contentType)).toBe(!base64);
    expect(Buffer.from(event.body!, base64 ? 'base64' : 'utf8')).toEqual(bytes);
  });

  it('sends no body, and no base64 flag, for an empty request', () => {
    for (const body of [undefined, '', Buffer.alloc(0)]) {
      const event = httpApiEvent({ headers: { 'content-type': 'application/octet-stream' }, body });
      expect(event).not.toHaveProperty('body');
      expect(event.isBase64Encoded).toBe(false);
    }
  });

  it('models a lying base64 flag: the flag and the forwarded body as given', () => {
    // GIVEN a text body API Gateway would pass as text, said to be base64, forwarded as is
    const body = '{"type":"connection.created"}';
    const lying = httpApiEvent({
      headers: { 'content-type': 'application/json' },
      body,
      isBase64Encoded: true,
      forwardedBody: body,
    });
    // THEN the event carries exactly that
    expect(lying).toMatchObject({ isBase64Encoded: true, body });
    // AND a flag given without a forwarded body encodes the body by it
    const forced = httpApiEvent({
      headers: { 'content-type': 'application/json' },
      body,
      isBase64Encoded: true,
    });
    expect(Buffer.from(forced.body!, 'base64').toString()).toBe(body);
  });

  it('adds what API Gateway adds: forwarding headers, a trace id and the request context', () => {
    // GIVEN a request from a client that went through a proxy, at a known time
    const timeEpoch = Date.UTC(2024, 0, 15, 10, 30, 5);
    const event = httpApiEvent({
      method: 'POST',
      headers: { host: 'hooks.example.com:8443', 'x-forwarded-for': '203.0.113.9' },
      body: '{}',
      sourceIp: '198.51.100.7',
      port: 8443,
      timeEpoch,
    });
    // THEN the headers and the context say so, as API Gateway writes them
    expect(event.headers).toMatchObject({
      'x-forwarded-for': '203.0.113.9, 198.51.100.7',
      'x-forwarded-port': '8443',
      'x-forwarded-proto': 'http',
    });
    expect(event.headers['x-amzn-trace-id']).toMatch(/^Root=1-65a5092d-[0-9a-f]{24}$/);
    expect(event.requestContext).toMatchObject({
      domainName: 'hooks.example.com',
      domainPrefix: 'hooks',
      http: { sourceIp: '198.51.100.7', protocol: 'HTTP/1.1' },
      stage: '$default',
      time: '15/Jan/2024:10:30:05 +0000',
      timeEpoch,
    });
    expect(event.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('defaults to a POST to the webhook over HTTPS from 127.0.0.1, now, each with its own request id', () => {
    const before = Date.now();
    const [first, second] = [httpApiEvent({}), httpApiEvent({})];
    expect(first).toMatchObject({
      version: '2.0',
      rawPath: WEBHOOK_PATH,
      headers: { 'x-forwarded-for': '127.0.0.1', 'x-forwarded-port': '443', 'x-forwarded-proto': 'https' },
      requestContext: { http: { method: 'POST', sourceIp: '127.0.0.1', userAgent: '' } },
    });
    expect(first.requestContext.timeEpoch).toBeGreaterThanOrEqual(before);
    expect(second!.requestContext.requestId).not.toBe(first!.requestContext.requestId);
  });
});

describe('rawHeaderPairs', () => {
  it("pairs node's alternating raw headers, keeping their case and repeats", () => {
    expect(rawHeaderPairs(['Content-Type', 'application/json', 'X-A', '1', 'x-a', '2'])).toEqual([
      ['Content-Type', 'application/json'],
      ['X-A', '1'],
      ['x-a', '2'],
    ]);
  });
});
