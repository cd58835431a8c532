import { request } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { isTextContentType } from '../../dev/api-gateway-event.ts';
import { type Gateway, startGateway } from '../../local/gateway.ts';

/** Sends a raw request (repeated headers kept as separate lines) and reads the answer. */
function send(
  url: string,
  options: { method?: string; headers?: Record<string, string | string[]>; body?: Buffer | string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((done, fail) => {
    const req = request(url, { method: options.method ?? 'POST', headers: options.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', fail);
    req.end(options.body);
  });
}

describe('the local HTTP gateway', () => {
  let gateway: Gateway;
  let ready = false;
  const seen: Array<{ event: APIGatewayProxyEventV2; context: Context }> = [];
  let answer: (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2> =
    async () => ({
      statusCode: 202,
      body: '{}',
    });

  beforeAll(async () => {
    gateway = await startGateway({
      port: 0,
      timeoutMs: 300,
      isReady: () => ready,
      health: () => ({ pid: 42 }),
      handler: async (event, context) => {
        seen.push({ event, context });
        return answer(event, context);
      },
    });
  });

  afterAll(async () => {
    await gateway?.stop();
  });

  beforeEach(() => {
    seen.length = 0;
    answer = async () => ({ statusCode: 202, body: '{}' });
  });

  const origin = () => gateway.url.replace('/webhooks/ofauth', '');

  it('answers /healthz and deliveries 503 until ready, then /healthz 200 with what the pipeline tells', async () => {
    expect((await send(`${origin()}/healthz`, { method: 'GET' })).status).toBe(503);
    const early = await send(gateway.url, { body: '{}' });
    expect(early.status).toBe(503);
    expect(seen).toHaveLength(0);
    ready = true;
    const health = await send(`${origin()}/healthz`, { method: 'GET' });
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body.toString())).toEqual({ status: 'ok', pid: 42 });
  });

  it('turns a request into an API Gateway payload-2.0 event', async () => {
    // WHEN a JSON request with repeated headers, cookies and a query string arrives
    await send(`${gateway.url}?a=1&a=2&b=x%20y`, {
      headers: {
        'Content-Type': 'application/json',
        'X-Repeated': ['one', 'two'],
        Cookie: 'c1=v1; c2=v2',
        'User-Agent': 'gateway-test',
      },
      body: '{"type":"connection.created"}',
    });
    // THEN the verifier gets the event API Gateway would send
    const { event } = seen[0]!;
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /webhooks/ofauth',
      rawPath: '/webhooks/ofauth',
      rawQueryString: 'a=1&a=2&b=x%20y',
      queryStringParameters: { a: '1,2', b: 'x y' },
      cookies: ['c1=v1', 'c2=v2'],
      body: '{"type":"connection.created"}',
      isBase64Encoded: false,
      requestContext: {
        http: { method: 'POST', path: '/webhooks/ofauth', sourceIp: '127.0.0.1', userAgent: 'gateway-test' },
        routeKey: 'POST /webhooks/ofauth',
        stage: '$default',
      },
    });
    expect(event.headers['x-repeated']).toBe('one,two');
    expect(event.headers['content-type']).toBe('application/json');
    expect(event.headers.cookie).toBeUndefined();
    expect(event.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(event.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(Math.abs(event.requestContext.timeEpoch - Date.now())).toBeLessThan(5000);
  });

  it.each([
    ['application/octet-stream', true],
    [undefined, true],
    ['application/x-www-form-urlencoded', true],
    ['text/plain; charset=utf-8', false],
    ['application/json; charset=utf-8', false],
  ])('passes a %s body base64-encoded: %s', async (contentType, base64) => {
    // WHEN bytes arrive with this content type
    const bytes = Buffer.from([0x7b, 0x22, 0xff, 0x00, 0x7d]);
    await send(gateway.url, { headers: contentType ? { 'content-type': contentType } : {}, body: bytes });
    // THEN the body is base64 exactly when API Gateway would encode it, and decodes to the same bytes
    const { event } = seen[0]!;
    expect(event.isBase64Encoded).toBe(base64);
    expect(isTextContentType(contentType)).toBe(!base64);
    if (base64) expect(Buffer.from(event.body!, 'base64')).toEqual(bytes);
  });

  it('answers with the handler result, decoding a base64 body and setting cookies', async () => {
    // GIVEN a handler answering a base64 body with headers and cookies
    answer = async () => ({
      statusCode: 401,
      headers: { 'Content-Type': 'application/json', 'X-Reason': 'test' },
      cookies: ['a=1', 'b=2'],
      body: Buffer.from('{"error":"invalid_signature"}').toString('base64'),
      isBase64Encoded: true,
    });
    // WHEN a request arrives
    const response = await send(gateway.url, { body: '{}' });
    // THEN the client gets that answer, decoded
    expect(response.status).toBe(401);
    expect(response.headers['x-reason']).toBe('test');
    expect(response.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(response.body.toString()).toBe('{"error":"invalid_signature"}');
  });

  it('answers a handler that returns a plain value with 200 JSON', async () => {
    answer = async () => 'accepted';
    const response = await send(gateway.url, { body: '{}' });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.body.toString()).toBe('accepted');
  });

  it('fails a crashed or timed-out invocation with 500, as API Gateway does', async () => {
    // GIVEN a handler that throws, then one that outlives the 300 ms timeout
    answer = async () => {
      throw new Error('boom');
    };
    const crashed = await send(gateway.url, { body: '{}' });
    answer = async (_event, context) => {
      expect(context.getRemainingTimeInMillis()).toBeLessThanOrEqual(300);
      await new Promise((wake) => setTimeout(wake, 600));
      return { statusCode: 202 };
    };
    const late = await send(gateway.url, { body: '{}' });
    // THEN both answer 500 Internal Server Error
    for (const response of [crashed, late]) {
      expect(response.status).toBe(500);
      expect(JSON.parse(response.body.toString())).toEqual({ message: 'Internal Server Error' });
    }
    expect(seen[1]?.context.functionName).toBe('ofauth-verifier');
  });

  it('rejects other routes with 404 JSON without invoking the verifier', async () => {
    for (const [method, path] of [
      ['GET', '/webhooks/ofauth'],
      ['POST', '/webhooks/other'],
      ['POST', '/'],
    ] as const) {
      const response = await send(`${origin()}${path}`, { method });
      expect(response.status).toBe(404);
      expect(JSON.parse(response.body.toString())).toEqual({ message: 'Not Found' });
    }
    expect(seen).toHaveLength(0);
  });

  it('rejects a body above 10 MB with 413 without invoking the verifier', async () => {
    const response = await send(gateway.url, { body: Buffer.alloc(10 * 1024 * 1024 + 1, 0x61) });
    expect(response.status).toBe(413);
    expect(seen).toHaveLength(0);
  });

  it('runs one invocation at a time, as one execution environment does', async () => {
    // GIVEN a handler that notes overlapping invocations
    let running = 0;
    let overlapped = false;
    answer = async () => {
      running += 1;
      if (running > 1) overlapped = true;
      await new Promise((wake) => setTimeout(wake, 20));
      running -= 1;
      return { statusCode: 202 };
    };
    // WHEN five requests arrive at once
    const responses = await Promise.all(Array.from({ length: 5 }, () => send(gateway.url, { body: '{}' })));
    // THEN all are answered, none overlapping
    expect(responses.map((response) => response.status)).toEqual([202, 202, 202, 202, 202]);
    expect(overlapped).toBe(false);
  });
});

describe('the local HTTP gateway with a pool of execution environments', () => {
  let gateway: Gateway | undefined;

  afterEach(async () => {
    await gateway?.stop();
    gateway = undefined;
  });

  it('runs requests side by side, one at a time per environment, never more environments than its pool', async () => {
    // GIVEN a gateway with up to 3 environments whose handlers note overlapping invocations
    const runningPerEnvironment = new Map<number, number>();
    let running = 0;
    let mostAtOnce = 0;
    let overlappedInOneEnvironment = false;
    gateway = await startGateway({
      port: 0,
      environments: 3,
      createHandler: (index) => async (_event, context) => {
        const inThisOne = (runningPerEnvironment.get(index) ?? 0) + 1;
        runningPerEnvironment.set(index, inThisOne);
        if (inThisOne > 1) overlappedInOneEnvironment = true;
        running += 1;
        mostAtOnce = Math.max(mostAtOnce, running);
        await new Promise((wake) => setTimeout(wake, 50));
        running -= 1;
        runningPerEnvironment.set(index, inThisOne - 1);
        return {
          statusCode: 202,
          body: JSON.stringify({ environment: index, memory: context.memoryLimitInMB }),
        };
      },
    });
    // WHEN ten requests arrive at once
    const responses = await Promise.all(Array.from({ length: 10 }, () => send(gateway!.url, { body: '{}' })));
    // THEN all are answered, three at a time, each environment running one at a time
    expect(responses.map((response) => response.status)).toEqual(Array(10).fill(202));
    expect(mostAtOnce).toBe(3);
    expect(overlappedInOneEnvironment).toBe(false);
    expect(gateway.environments).toBe(3);
  });

  it('replaces an environment whose invocation timed out instead of reusing it', async () => {
    // GIVEN one environment whose first invocation outlives the 200 ms timeout
    const environments: number[] = [];
    gateway = await startGateway({
      port: 0,
      timeoutMs: 200,
      environments: 1,
      createHandler: (index) => {
        let calls = 0;
        return async () => {
          calls += 1;
          environments.push(index);
          if (index === 0 && calls === 1) await new Promise((wake) => setTimeout(wake, 400));
          return { statusCode: 202, body: '{}' };
        };
      },
    });
    const late = await send(gateway.url, { body: '{}' });
    // WHEN the next request arrives while the timed-out handler still runs
    const next = await send(gateway.url, { body: '{}' });
    // THEN the first answered 500, the next ran in a new environment
    expect(late.status).toBe(500);
    expect(next.status).toBe(202);
    expect(environments).toEqual([0, 1]);
  });

  it('reports the memory size it is given in the Lambda context', async () => {
    let memory: string | undefined;
    gateway = await startGateway({
      port: 0,
      memoryLimitInMB: 512,
      handler: async (_event, context) => {
        memory = context.memoryLimitInMB;
        return { statusCode: 202 };
      },
    });
    await send(gateway.url, { body: '{}' });
    expect(memory).toBe('512');
  });
});
